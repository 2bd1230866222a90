// The Deno APIs src/io/host_deno.ts uses, declared for the npm build's type check (tsc has no
// Deno types). Only the check sees this file; the Deno host runs where Deno provides them.

declare namespace Deno {
  interface FsFile {
    stat(): Promise<{ size: number }>;
    seekSync(offset: number, whence: SeekMode): number;
    readSync(p: Uint8Array): number | null;
    close(): void;
  }
  enum SeekMode {
    Start = 0,
  }
  function open(path: string, options: { read: boolean }): Promise<FsFile>;
  function readFile(path: string | URL): Promise<Uint8Array>;
  function stat(path: string): Promise<{ isFile: boolean; isDirectory: boolean; size: number }>;
  const env: { get(name: string): string | undefined };
  const errors: {
    NotFound: new () => Error;
    NotCapable: new () => Error;
    PermissionDenied: new () => Error;
  };
}
