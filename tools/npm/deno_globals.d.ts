// The Deno APIs src/io/host_deno.ts uses, declared for the npm build's type check (tsc has no
// Deno types). Only the check sees this file; the Deno host runs where Deno provides them.

declare namespace Deno {
  interface FsFile {
    stat(): Promise<{ size: number }>;
    seekSync(offset: number, whence: SeekMode): number;
    readSync(p: Uint8Array): number | null;
    write(p: Uint8Array): Promise<number>;
    close(): void;
  }
  enum SeekMode {
    Start = 0,
  }
  function open(
    path: string,
    options: { read?: boolean; write?: boolean; create?: boolean; truncate?: boolean },
  ): Promise<FsFile>;
  // the download cache (HostWriter)
  const build: { os: string };
  function mkdir(path: string, options: { recursive: boolean }): Promise<void>;
  function rename(from: string, to: string): Promise<void>;
  function remove(path: string): Promise<void>;
  function readFile(path: string | URL): Promise<Uint8Array>;
  function stat(path: string): Promise<{ isFile: boolean; isDirectory: boolean; size: number }>;
  const env: { get(name: string): string | undefined };
  const errors: {
    NotFound: new () => Error;
    NotCapable: new () => Error;
    PermissionDenied: new () => Error;
  };
}
