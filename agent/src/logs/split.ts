/**
 * Cuts a chunk of a log file into lines. Only complete lines are consumed: a partial last line is
 * left for the next read (the workload is still writing it), unless `final` (the file is gone or
 * replaced) or it already reached `maxBytes`, in which case it is shipped in pieces of `maxBytes`.
 * `consumed` is the byte count the caller's offset moves by; it never splits what it leaves.
 */
export function splitLines(
  buf: Buffer,
  maxBytes: number,
  final: boolean,
): { lines: string[]; consumed: number } {
  const lines: string[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const nl = buf.indexOf(0x0a, pos);
    const end = nl === -1 ? buf.length : nl;
    if (end - pos > maxBytes) {
      push(lines, buf.subarray(pos, pos + maxBytes));
      pos += maxBytes;
      continue;
    }
    if (nl === -1) {
      if (final) {
        push(lines, buf.subarray(pos));
        pos = buf.length;
      }
      break;
    }
    push(lines, buf.subarray(pos, nl));
    pos = nl + 1;
  }
  return { lines, consumed: pos };
}

/**
 * A writer without O_APPEND keeps writing at its old offset after the file is truncated, which
 * leaves a hole that reads as NUL bytes: those are dropped, and a line made only of them too.
 */
function push(lines: string[], bytes: Buffer) {
  let text = bytes.toString("utf8");
  if (text.endsWith("\r")) text = text.slice(0, -1);
  if (text.includes("\0")) {
    text = text.replaceAll("\0", "");
    if (text === "") return;
  }
  lines.push(text);
}
