/**
 * Quotes a string as one POSIX sh word: single quotes, with each embedded
 * single quote written as '\'' (close, escaped quote, reopen).
 */
export function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}
