import type pg from 'pg';

/**
 * One round trip for many statements, COPYs included: a single simple-protocol Query of several
 * statements, where each `COPY … FROM STDIN` among them takes its data from `inputs` (in the order
 * of those statements) and the output of any `COPY … TO STDOUT` is collected and returned.
 *
 * The COPY data is sent with the query, before PostgreSQL asks for it: the backend reads it from
 * the socket when it reaches each COPY, so it goes from one statement to the next without waiting
 * for Node (node-postgres sends a queued query, or a COPY's data, only from an I/O callback: while
 * Node computes, a backend that finished one statement waited for the event loop). If a statement
 * fails, PostgreSQL skips the rest of the query and drops the COPY data it has not read (the
 * protocol's rule for CopyData outside a COPY), so the connection is in step again at the next
 * ReadyForQuery.
 *
 * `inputs` must hold exactly one entry per `COPY … FROM STDIN` of `sql` (an empty entry sends no
 * rows): a statement without its data would wait for it for ever.
 */
export function batchQuery(client: pg.ClientBase, sql: string, inputs: readonly (readonly Buffer[])[] = []): Promise<Buffer[]> {
  return new Promise<Buffer[]>((resolve, reject) => {
    const query = new BatchQuery(sql, inputs, (error, out) => (error ? reject(error) : resolve(out)));
    void client.query(query as unknown as pg.QueryConfig);
  });
}

/** A chain of operations on one connection, each started when the previous one settled (never two queued in node-postgres). */
export interface ConnectionChain {
  /** Runs `operation` after every operation added before it has settled; its own outcome is returned. */
  <T>(operation: () => Promise<T>): Promise<T>;
  /** Settles when every operation added so far has settled. */
  idle(): Promise<void>;
}

export function connectionChain(): ConnectionChain {
  let tail: Promise<unknown> = Promise.resolve();
  const chain = <T>(operation: () => Promise<T>): Promise<T> => {
    const run = tail.then(operation);
    tail = run.catch(() => undefined);
    return run;
  };
  chain.idle = async () => {
    let seen: Promise<unknown>;
    do {
      seen = tail;
      await seen;
    } while (seen !== tail);
  };
  return chain;
}

const COPY_DATA = 0x64; // 'd'
const COPY_DONE = Buffer.from([0x63, 0, 0, 0, 4]); // 'c', length 4
const OUT_PIECE = 64 * 1024;

/** The connection as node-postgres hands it to a query object (pg's Connection: not in its types). */
interface Connection {
  stream: NodeJS.WritableStream & { cork(): void; uncork(): void };
  query(text: string): void;
}

/** A node-postgres query object (as pg-copy-streams' are): pg calls submit, then a handler per message of the backend. */
class BatchQuery {
  private failure: Error | null = null;
  private settled = false;
  private readonly out: Buffer[] = [];
  private piece: Buffer | null = null;
  private used = 0;

  constructor(
    private readonly text: string,
    private readonly inputs: readonly (readonly Buffer[])[],
    private readonly settle: (error: Error | null, out: Buffer[]) => void,
  ) {}

  /** Present so that node-postgres can wrap it (its query_timeout does); settling is handled below. */
  callback(): void {}

  submit(connection: Connection): void {
    const { stream } = connection;
    stream.cork();
    try {
      connection.query(this.text);
      for (const input of this.inputs) {
        for (const piece of input) {
          if (!piece.length) continue;
          const header = Buffer.allocUnsafe(5);
          header[0] = COPY_DATA;
          header.writeUInt32BE(piece.length + 4, 1);
          stream.write(header);
          stream.write(piece);
        }
        stream.write(COPY_DONE);
      }
    } finally {
      stream.uncork();
    }
  }

  handleCopyInResponse(): void {
    // Its data was sent with the query.
  }

  handleCopyData(message: { chunk: Buffer }): void {
    // The chunk is a view of node-postgres' read buffer, which it reuses: copied out.
    const { chunk } = message;
    if (!this.piece || this.used + chunk.length > this.piece.length) {
      if (this.piece && this.used) this.out.push(this.piece.subarray(0, this.used));
      this.piece = Buffer.allocUnsafe(Math.max(OUT_PIECE, chunk.length));
      this.used = 0;
    }
    this.used += chunk.copy(this.piece, this.used);
  }

  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleCommandComplete(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}

  /**
   * An ErrorResponse (then ReadyForQuery follows) or the connection's end (nothing follows): the
   * first error is the outcome, given at once.
   */
  handleError(error: Error): void {
    this.failure ??= error;
    this.finish();
  }

  handleReadyForQuery(): void {
    this.finish();
  }

  private finish(): void {
    if (this.settled) return;
    this.settled = true;
    if (this.piece && this.used) this.out.push(this.piece.subarray(0, this.used));
    this.piece = null;
    this.settle(this.failure, this.out);
  }
}
