// Running a program from a test: exit code and output, never a throw for a missing program.

/** Runs a command; returns its exit code and output (never throws for a missing program). */
export async function run(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: Record<string, string> } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const out = await new Deno.Command(cmd, {
      args,
      cwd: opts.cwd,
      env: opts.env,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const dec = new TextDecoder();
    return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
  } catch (e) {
    return { code: -1, stdout: "", stderr: String(e) };
  }
}

/**
 * The first line a child prints on `stream` (a server announcing where it listens), and the
 * reader, still open, for the caller to cancel or release. Throws `ended` if the stream ends first.
 */
export async function firstLine(
  stream: ReadableStream<Uint8Array>,
  ended: string,
): Promise<{ line: string; reader: ReadableStreamDefaultReader<string> }> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let line = "";
  while (!line.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`${ended}; it printed: ${JSON.stringify(line)}`);
    line += value;
  }
  return { line: line.slice(0, line.indexOf("\n")), reader };
}
