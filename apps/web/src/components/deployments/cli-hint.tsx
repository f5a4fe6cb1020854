export const CLI_EXAMPLE = "npx berth deploy 127.0.0.1:5000/examples/hello --port 8080";

export function CliHint() {
  return (
    <div className="mx-auto mt-4 max-w-lg text-left">
      <p className="text-sm text-muted-foreground">Deploy the example image from your terminal:</p>
      <pre className="mt-2 overflow-x-auto rounded-md border border-border bg-muted px-4 py-3 font-mono text-[13px] text-foreground">
        <code>{CLI_EXAMPLE}</code>
      </pre>
    </div>
  );
}
