/** A usage error found by a command (a bad id, a missing file): one line on stderr, exit 1, nothing recorded. */
export class UsageError extends Error {}
