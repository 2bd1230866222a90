// Random access over a byte stream (an HTTP response, a cached Response, a caller's
// ReadableStream), for loading straight into linear memory with one copy: a read that moves
// forward continues the open stream (a short gap is read and dropped); a read behind it or far
// ahead reopens the stream there (an HTTP Range request). Bytes pass through one reusable buffer
// of CHUNK bytes, so JS holds at most that much of the file at any time. An edgeclip package
// (tensors in load order) streams in one request.

import type { EdgeClipError } from "../errors.ts";
import type { RandomAccess } from "./host.ts";
import { stallGuard } from "./http.ts";

/** A file's bytes from `start` on. */
export interface ByteStream {
  readonly body: ReadableStream<Uint8Array>;
  /** Where the body starts: the offset asked for, or 0 when a server ignored the Range. */
  readonly start: number;
}

export interface StreamAccessOptions {
  /** The file's size; Infinity when unknown (a read past the end fails when the stream ends). */
  readonly size: number;
  /** Opens the bytes from `offset` on; absent for a stream that cannot be opened again. */
  readonly openAt?: (offset: number) => Promise<ByteStream>;
  /** A stream already open (the response that told the size), read first. */
  readonly first?: ByteStream;
  /** Sees every byte count that arrives (download progress). */
  readonly onBytes?: (n: number) => void;
  /** The error for a stream that ends early, stalls, or cannot go back. */
  readonly fail: (why: string) => EdgeClipError;
}

/** Bytes JS holds of a stream at a time (measured: 1 MiB reads add ~6 MB RSS to a 150 MB load). */
export const CHUNK = 1 << 20;
/** A forward gap below this is read and dropped rather than costing a new request. */
const MAX_SKIP = 1 << 20;

/**
 * Chunks of a body through one reused buffer (a byte stream), else as the stream gives them: a
 * download's chunks do not pile up as garbage (measured: ~50 MiB of dead chunks in a 600 MB
 * download read chunk by chunk).
 */
export class ChunkReader {
  readonly #byob?: ReadableStreamBYOBReader;
  readonly #plain?: ReadableStreamDefaultReader<Uint8Array>;
  #buf = new ArrayBuffer(0);

  constructor(body: ReadableStream<Uint8Array>) {
    try {
      this.#byob = body.getReader({ mode: "byob" });
      this.#buf = new ArrayBuffer(CHUNK);
    } catch {
      this.#plain = body.getReader(); // not a byte stream
    }
  }

  /** The next bytes (a view valid until the next call), or null at the end. */
  async next(): Promise<Uint8Array | null> {
    if (this.#plain) {
      const { done, value } = await this.#plain.read();
      return done ? null : value;
    }
    const { done, value } = await this.#byob!.read(new Uint8Array(this.#buf, 0, CHUNK));
    if (value) this.#buf = value.buffer as ArrayBuffer; // the read handed the buffer back
    return done ? null : value!;
  }

  cancel(): void {
    (this.#byob ?? this.#plain)!.cancel().catch(() => {});
  }
}

/** An open stream: where its next byte is, what is left of its last chunk, its reads' guard. */
interface Cursor {
  readonly reader: ChunkReader;
  pos: number;
  rest: Uint8Array;
  readonly guarded: <T>(read: () => Promise<T>) => Promise<T>;
}

/** A RandomAccess reading through streams; reads are served one at a time, in call order. */
export function streamAccess(opts: StreamAccessOptions): RandomAccess {
  const { openAt, fail } = opts;
  let cur: Cursor | null = opts.first ? cursor(opts.first) : null;
  let rangeless = !openAt; // forward gaps are always read through
  let queue: Promise<unknown> = Promise.resolve();
  let closed = false;

  function cursor(s: ByteStream): Cursor {
    const reader = new ChunkReader(s.body);
    const c: Cursor = {
      reader,
      pos: s.start,
      rest: new Uint8Array(0),
      guarded: stallGuard(
        () => reader.cancel(),
        () => fail(`no bytes for a minute at byte ${c.pos}`),
      ),
    };
    return c;
  }

  async function chunk(c: Cursor): Promise<void> {
    const next = await c.guarded(() => c.reader.next());
    if (!next) throw fail(`the stream ended at byte ${c.pos} (cut short?)`);
    opts.onBytes?.(next.length);
    c.rest = next;
  }

  async function seek(offset: number): Promise<Cursor> {
    if (!cur || offset < cur.pos || (!rangeless && offset - cur.pos > MAX_SKIP)) {
      cur?.reader.cancel();
      cur = null;
      if (!openAt) throw fail(`a read at byte ${offset} goes back in a stream that cannot reopen`);
      const s = await openAt(offset);
      if (s.start > offset) throw fail(`asked for byte ${offset}, the stream starts at ${s.start}`);
      if (s.start < offset) rangeless = true; // the server ignored Range: never ask again
      cur = cursor(s);
    }
    const c = cur;
    while (c.pos < offset) {
      if (!c.rest.length) await chunk(c);
      const n = Math.min(c.rest.length, offset - c.pos);
      c.rest = c.rest.subarray(n);
      c.pos += n;
    }
    return c;
  }

  async function read(offset: number, dest: Uint8Array): Promise<void> {
    if (closed) throw new RangeError("read after close");
    if (offset + dest.length > opts.size) {
      throw new RangeError(`read past end (${offset}+${dest.length} > ${opts.size})`);
    }
    try {
      const c = await seek(offset);
      for (let done = 0; done < dest.length;) {
        if (!c.rest.length) await chunk(c);
        const n = Math.min(c.rest.length, dest.length - done);
        dest.set(c.rest.subarray(0, n), done);
        c.rest = c.rest.subarray(n);
        c.pos += n;
        done += n;
      }
    } catch (e) {
      cur?.reader.cancel(); // a later read starts afresh
      cur = null;
      throw e;
    }
  }

  return {
    size: opts.size,
    read(offset, dest) {
      const run = queue.then(() => read(offset, dest));
      queue = run.catch(() => {});
      return run;
    },
    close() {
      closed = true;
      cur?.reader.cancel();
      cur = null;
    },
  };
}
