// The adapters attached to one loaded model: loading, the active setup, merging, and the
// per-call hooks handed to the model. (Adapter methods themselves live in src/adapters/.)

import { EdgeClipError } from "../errors.ts";
import type { Source } from "../io/source.ts";
import { type ModelHooks, NO_HOOKS } from "../model/hooks.ts";
import type { LoadedModel } from "./load.ts";

/** An adapter name, or composition blocks nested as the adapters library allows. */
export type AdapterSetup = string | { readonly type: string };

/** What a forward call tells the hooks about its inputs (ReFT reads the text mask). */
export interface CallInfo {
  readonly textMask?: readonly ArrayLike<number>[];
}

export class AdapterHost {
  readonly #m: LoadedModel;
  #active: AdapterSetup | null = null;

  constructor(loaded: LoadedModel) {
    this.#m = loaded;
  }

  load(
    _source: Source,
    _opts: { name?: string; overrides?: Record<string, unknown> } = {},
  ): Promise<string> {
    return Promise.reject(
      new EdgeClipError("adapter_unsupported", "adapter loading is not available in this build"),
    );
  }

  loadFusion(_source: Source, _names: readonly string[]): Promise<string> {
    return Promise.reject(
      new EdgeClipError("adapter_unsupported", "adapter fusion is not available in this build"),
    );
  }

  setActive(setup: AdapterSetup | null): void {
    if (setup !== null) this.#unknown(setup);
    this.#active = setup;
  }

  merge(name: string): void {
    this.#unknown(name);
  }

  /** Hooks for one call: `setup` overrides the active setup when given (null = none). */
  hooksFor(
    setup: AdapterSetup | null | undefined,
    _call: CallInfo,
  ): (tower: "text" | "vision") => ModelHooks {
    const s = setup === undefined ? this.#active : setup;
    if (s !== null) this.#unknown(s);
    void this.#m;
    return () => NO_HOOKS;
  }

  #unknown(setup: AdapterSetup): never {
    throw new EdgeClipError("adapter_setup", `no adapter named ${JSON.stringify(setup)} is loaded`);
  }
}
