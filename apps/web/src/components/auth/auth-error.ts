/** better-auth's error for sign-in and sign-up, told the way the rest of the dashboard speaks. */
export function authErrorMessage(error: { status?: number; message?: string; code?: string }): string {
  if (error.status === 429) return "Too many attempts from this address. Wait a minute and try again.";
  if (error.code === "INVALID_EMAIL_OR_PASSWORD") return "The email or password is not right.";
  if (error.code === "USER_ALREADY_EXISTS" || error.code === "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL") {
    return "An account with this email already exists. Sign in instead.";
  }
  if (error.status && error.status >= 500) return "Something went wrong on our side. Try again in a moment.";
  return error.message || "That did not work. Try again.";
}
