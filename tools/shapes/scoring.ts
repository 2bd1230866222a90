// Accuracy tables for the shapes evaluation: top-1 over a label set, per colour and per shape,
// the shape confusion matrix, and agreement between two runs.

import { COLOURS } from "./world.ts";

/** One image's truth and the label a model gave it. */
export interface Answer {
  truth: string;
  predicted: string;
}

const pct = (k: number, n: number) => n ? `${(100 * k / n).toFixed(2)}%` : "–";

/** Top-1 accuracy as a fraction. */
export function accuracy(answers: readonly Answer[]): number {
  return answers.filter((a) => a.truth === a.predicted).length / answers.length;
}

/** Fraction of images on which two runs give the same label. */
export function agreement(a: readonly Answer[], b: readonly Answer[]): number {
  return a.filter((x, i) => x.predicted === b[i].predicted).length / a.length;
}

const split = (label: string) => {
  const i = label.indexOf(" ");
  return { colour: label.slice(0, i), shape: label.slice(i + 1) };
};

/** "title: 98.75% of 400 (395)" plus per-colour and per-shape accuracy lines. */
export function summary(title: string, answers: readonly Answer[]): string {
  const ok = answers.filter((a) => a.truth === a.predicted).length;
  const lines = [`${title}: ${pct(ok, answers.length)} of ${answers.length} (${ok} right)`];
  for (const key of ["colour", "shape"] as const) {
    const groups = new Map<string, [number, number]>();
    for (const a of answers) {
      const g = split(a.truth)[key];
      const [k, n] = groups.get(g) ?? [0, 0];
      groups.set(g, [k + +(a.truth === a.predicted), n + 1]);
    }
    const order = key === "colour" ? Object.keys(COLOURS) : [...groups.keys()].sort();
    lines.push(
      `  per ${key}: ` +
        order.filter((g) => groups.has(g)).map((g) => {
          const [k, n] = groups.get(g)!;
          return `${g} ${pct(k, n)}`;
        }).join(", "),
    );
  }
  return lines.join("\n");
}

/** Shape confusion (rows: true shape, columns: predicted shape) and colour-error count. */
export function confusion(answers: readonly Answer[], shapes: readonly string[]): string {
  const predShapes = [...new Set([...shapes, ...answers.map((a) => split(a.predicted).shape)])];
  const w = Math.max(9, ...predShapes.map((s) => s.length + 1));
  const cell = (s: string | number) => String(s).padStart(w);
  const rows = [`  ${"true\\said".padEnd(10)}${predShapes.map(cell).join("")}`];
  for (const t of shapes) {
    const mine = answers.filter((a) => split(a.truth).shape === t);
    if (!mine.length) continue;
    rows.push(
      `  ${t.padEnd(10)}${
        predShapes.map((p) => cell(mine.filter((a) => split(a.predicted).shape === p).length))
          .join("")
      }`,
    );
  }
  const colourErrors = answers.filter((a) => split(a.truth).colour !== split(a.predicted).colour);
  rows.push(
    `  colour wrong: ${colourErrors.length}` +
      (colourErrors.length
        ? ` (${colourErrors.slice(0, 8).map((a) => `${a.truth}→${a.predicted}`).join(", ")})`
        : ""),
  );
  return rows.join("\n");
}

/** What a model answered for each true label, most frequent first ("red hexagon → red circle ×3"). */
export function answersFor(answers: readonly Answer[]): string {
  const byShape = new Map<string, number>();
  for (const a of answers) {
    const s = split(a.predicted).shape;
    byShape.set(s, (byShape.get(s) ?? 0) + 1);
  }
  const colourRight = answers.filter((a) => split(a.truth).colour === split(a.predicted).colour);
  return `  answered shapes: ${
    [...byShape].sort((a, b) => b[1] - a[1]).map(([s, n]) => `${s} ${pct(n, answers.length)}`)
      .join(", ")
  }; colour right ${pct(colourRight.length, answers.length)}`;
}
