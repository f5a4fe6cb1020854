export type ShellUser = { id: string; name: string; email: string; isOperator: boolean };
