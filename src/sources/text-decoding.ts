import { isUtf8 } from 'node:buffer';
import { Transform, type TransformCallback } from 'node:stream';
import { TextDecoder } from 'node:util';

const BOM = '\uFEFF';

/**
 * Decodes a provider file to text for the CSV parser: UTF-8, or Windows-1252 from the first chunk
 * that is not valid UTF-8 (some widely shared CSV copies were saved by Excel), a leading BOM
 * dropped, and CRLF line ends turned into LF. The last matters because csv-parse miscounts lines
 * in CRLF files, and reject reports carry line numbers.
 */
export function decodeText(): Transform & { endsWithNewline(): boolean } {
  let pending = Buffer.alloc(0);
  let legacy: TextDecoder | null = null;
  let first = true;
  let heldCarriageReturn = false;
  let lastChar = '';

  const emit = (stream: Transform, text: string) => {
    if (first && text.length) {
      first = false;
      if (text.startsWith(BOM)) text = text.slice(1);
    }
    if (heldCarriageReturn) {
      text = `\r${text}`;
      heldCarriageReturn = false;
    }
    if (text.endsWith('\r')) {
      heldCarriageReturn = true;
      text = text.slice(0, -1);
    }
    text = text.includes('\r\n') ? text.replaceAll('\r\n', '\n') : text;
    if (text.length) {
      lastChar = text[text.length - 1]!;
      stream.push(text);
    }
  };

  const transform = new Transform({
    decodeStrings: true,
    // Hand the parser strings, not text encoded back into bytes.
    encoding: 'utf8',
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      if (legacy) {
        emit(this, legacy.decode(chunk, { stream: true }));
        return callback();
      }
      const bytes = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      const cut = completeUtf8Length(bytes);
      const whole = bytes.subarray(0, cut);
      if (isUtf8(whole)) {
        pending = Buffer.from(bytes.subarray(cut));
        emit(this, whole.toString('utf8'));
      } else {
        legacy = new TextDecoder('windows-1252');
        pending = Buffer.alloc(0);
        emit(this, legacy.decode(bytes, { stream: true }));
      }
      callback();
    },
    flush(callback: TransformCallback) {
      if (pending.length) emit(this, isUtf8(pending) ? pending.toString('utf8') : new TextDecoder('windows-1252').decode(pending));
      if (heldCarriageReturn) {
        heldCarriageReturn = false;
        lastChar = '\r';
        this.push('\r');
      }
      callback();
    },
  });
  return Object.assign(transform, { endsWithNewline: () => lastChar === '\n' || lastChar === '\r' });
}

/** Length of the longest prefix of `bytes` that does not end inside a multi-byte UTF-8 sequence. */
function completeUtf8Length(bytes: Buffer): number {
  const end = bytes.length;
  for (let back = 1; back <= Math.min(3, end); back++) {
    const byte = bytes[end - back]!;
    if ((byte & 0xc0) === 0x80) continue; // a continuation byte: look further back for the lead
    const needed = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return needed > back ? end - back : end;
  }
  return end;
}
