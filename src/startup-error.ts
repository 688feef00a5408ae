/**
 * Start-up failures a person fixes by changing a setting (a port in use, a folder the database
 * cannot use), told in one line that says what to change instead of a stack.
 */
export class StartupError extends Error {
  override readonly name = 'StartupError';

  /** The one-line form of a known start-up failure, or null for anything else (a bug: keep its stack). */
  static from(error: unknown): StartupError | null {
    if (error instanceof StartupError) return error;
    const e = error as NodeJS.ErrnoException & { address?: string; port?: number };
    if (e?.code === 'EADDRINUSE' && e.syscall === 'listen') {
      return new StartupError(
        `port ${e.port ?? '?'}${e.address ? ` on ${e.address}` : ''} is already in use (another MovieC or another server): stop it or set PORT to a free port`,
      );
    }
    if (e?.code === 'EACCES' && e.syscall === 'listen') {
      return new StartupError(`not allowed to listen on port ${e.port ?? '?'}: set PORT to 1024 or above`);
    }
    return null;
  }
}
