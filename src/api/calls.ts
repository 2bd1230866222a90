// Ordering of one model's calls and the operations that change its adapters. Calls (readers) run
// side by side; loads run one at a time in call order; a merge rewrites weights, so it also waits
// for the calls started before it, and the calls started after it wait for it. A call therefore
// finishes on the weights it started with, across every await (image decoding, batches), in both
// towers. What a call or operation names is marked in use for as long, so delete refuses it.

import type { AdapterHost } from "../adapters/host.ts";
import type { LoadedModel } from "../checkpoint/open.ts";
import type { AdapterBlock, AdapterSetup } from "./setup.ts";

export interface Ticket {
  /** Resolves when every operation queued before the call has finished. */
  readonly ready: Promise<unknown>;
  /** The call has finished (whatever its outcome). */
  done(): void;
}

export class Gate {
  /** The last queued operation (settled, never rejected). */
  #tail: Promise<unknown> = Promise.resolve();
  /** Calls started and not finished: what an exclusive operation waits for. */
  readonly #calls = new Set<Promise<void>>();

  /** Registers a call now (synchronously, so operations queued later see it). */
  call(): Ticket {
    let finish!: () => void;
    const running = new Promise<void>((r) => (finish = r));
    this.#calls.add(running);
    return {
      ready: this.#tail,
      done: () => {
        this.#calls.delete(running);
        finish();
      },
    };
  }

  /**
   * Queues an operation after every one queued before it; `exclusive` also waits for the calls
   * started before this moment (and the calls started later wait for it).
   */
  queue<T>(op: () => Promise<T>, opts: { exclusive?: boolean } = {}): Promise<T> {
    const before = opts.exclusive ? [...this.#calls] : [];
    const start = () => Promise.all(before).then(op);
    const run = this.#tail.then(start);
    this.#tail = run.catch(() => {});
    return run;
  }

  /** Resolves once every operation queued so far has finished. */
  idle(): Promise<unknown> {
    return this.#tail;
  }
}

/** One call's model and adapter setup, fixed when the call starts. */
export interface Call {
  readonly m: LoadedModel;
  readonly host: AdapterHost;
  readonly setup: AdapterBlock | null;
}

/** Runs the calls and adapter operations of one model in the order above. */
export class Calls {
  readonly #gate = new Gate();

  /** `live` gives the model and its adapters, or throws `disposed`. */
  constructor(readonly live: () => { m: LoadedModel; host: AdapterHost }) {}

  /**
   * Runs a call: its setup (the active one unless given) is fixed and marked in use at once, it
   * waits for the loads and merges queued before it, and a merge queued after it waits for it.
   */
  async run<T>(
    adapters: AdapterSetup | null | undefined,
    body: (c: Call) => T | Promise<T>,
  ): Promise<T> {
    const { m, host } = this.live();
    const requested = adapters === undefined ? host.active : adapters;
    const release = host.use(requested, "a call still running");
    const ticket = this.#gate.call();
    try {
      await ticket.ready;
      this.live(); // disposed meanwhile
      return await body({ m, host, setup: requested === null ? null : host.resolve(requested) });
    } finally {
      release();
      ticket.done();
    }
  }

  /**
   * Queues an operation on the adapters. `uses`: adapters it needs, marked in use (as `what`) from
   * now until it has run; `exclusive`: it changes weights (a merge).
   */
  async op<T>(
    op: (host: AdapterHost) => Promise<T>,
    opts: { uses?: readonly string[]; what?: string; exclusive?: boolean } = {},
  ): Promise<T> {
    const { host } = this.live();
    const release = opts.uses ? host.use(opts.uses, opts.what ?? "an operation") : () => {};
    try {
      return await this.#gate.queue(() => op(host), opts);
    } finally {
      release();
    }
  }
}
