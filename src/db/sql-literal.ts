/**
 * A string as a SQL literal for a simple-protocol query, the same text `pg`'s `escapeLiteral`
 * gives ('' for ', and E'…' with \\ when there is a backslash), built with two native replaces.
 * `escapeLiteral` appends one character at a time: on an aggregation batch's multi-megabyte JSON
 * that built a rope of millions of pieces, and garbage collection took most of a full rebuild's
 * time in Node (issue 18).
 */
export function sqlLiteral(text: string): string {
  const quoted = `'${text.replace(/'/g, "''")}'`;
  return text.includes('\\') ? ` E${quoted.replace(/\\/g, '\\\\')}` : quoted;
}
