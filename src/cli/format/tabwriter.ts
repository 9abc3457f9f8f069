/**
 * A port of Go's text/tabwriter (flags 0, space padding), which Docker uses for every table:
 * `tabwriter.NewWriter(out, 10, 1, 3, ' ', 0)`. Cells are tab-terminated; the text after a line's last tab is not
 * part of any column. A column block is a run of consecutive lines that have a cell in that column; its width is
 * the widest cell (in runes, as Go counts) plus the padding, at least minwidth. A line without tabs ends all blocks,
 * as Go's writer flushes there.
 */
export interface TabwriterOptions {
  minwidth: number;
  padding: number;
  padchar?: string;
}

/** Docker's table settings. */
export const DOCKER_TABLE: TabwriterOptions = { minwidth: 10, padding: 3, padchar: ' ' };

interface Cell {
  text: string;
  width: number;
}

function runeCount(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** Aligns tab-separated text. A trailing partial line (no final newline) is kept as is, like Flush would. */
export function tabwriterFormat(text: string, opts: TabwriterOptions = DOCKER_TABLE): string {
  const padchar = opts.padchar ?? ' ';
  const out: string[] = [];
  let lines: Cell[][] = [];
  const rawLines = text.split('\n');
  const endsWithNewline = text.endsWith('\n');
  if (endsWithNewline) rawLines.pop();

  const flush = (finalHasNewline: boolean): void => {
    if (lines.length === 0) return;
    const widths: number[] = [];
    const writeLines = (line0: number, line1: number): void => {
      for (let i = line0; i < line1; i++) {
        const line = lines[i]!;
        for (let j = 0; j < line.length; j++) {
          const c = line[j]!;
          out.push(c.text);
          if (j < widths.length) out.push(padchar.repeat(Math.max(widths[j]! - c.width, 0)));
        }
        if (i + 1 < lines.length || finalHasNewline) out.push('\n');
      }
    };
    const format = (line0: number, line1: number): void => {
      const column = widths.length;
      for (let cur = line0; cur < line1; cur++) {
        if (column >= lines[cur]!.length - 1) continue;
        writeLines(line0, cur);
        line0 = cur;
        let width = opts.minwidth;
        for (; cur < line1; cur++) {
          const line = lines[cur]!;
          if (column >= line.length - 1) break;
          const w = line[column]!.width + opts.padding;
          if (w > width) width = w;
        }
        widths.push(width);
        format(line0, cur);
        widths.pop();
        line0 = cur;
      }
      writeLines(line0, line1);
    };
    format(0, lines.length);
    lines = [];
  };

  rawLines.forEach((raw, idx) => {
    const cells = raw.split('\t').map((t) => ({ text: t, width: runeCount(t) }));
    lines.push(cells);
    const isLast = idx === rawLines.length - 1;
    if (cells.length === 1 && !isLast) flush(true);
  });
  flush(endsWithNewline);
  return out.join('');
}
