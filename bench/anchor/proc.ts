// Process facts from /proc (Linux), read the same way bench_anchor.mjs reads them.

/** VmRSS / VmHWM (peak) in KiB, or -1 when /proc is unavailable. */
export function rssKiB(): { rss_kib: number; hwm_kib: number } {
  try {
    const s = Deno.readTextFileSync("/proc/self/status");
    const g = (k: string) => Number((s.match(new RegExp(k + ":\\s+(\\d+)")) ?? [0, -1])[1]);
    return { rss_kib: g("VmRSS"), hwm_kib: g("VmHWM") };
  } catch {
    return { rss_kib: -1, hwm_kib: -1 };
  }
}

/**
 * Milliseconds since this process was created (exec), from /proc/self/stat starttime and
 * /proc/uptime (10 ms resolution), or NaN off Linux. Unlike performance.now(), it includes
 * the runtime's own start-up.
 */
export function processAgeMs(): number {
  try {
    const stat = Deno.readTextFileSync("/proc/self/stat");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const startTicks = Number(fields[19]); // field 22 of the whole line; CLK_TCK is 100 on Linux
    const uptime = Number(Deno.readTextFileSync("/proc/uptime").split(" ")[0]);
    return (uptime * 100 - startTicks) * 10;
  } catch {
    return NaN;
  }
}
