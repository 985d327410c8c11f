import { PolicySourceError } from './policy-source';

/**
 * Decodes UTF-8 strictly: invalid bytes are an error saying where (byte offset, line and
 * column), never replaced with U+FFFD.
 */
export function decodeUtf8Strict(bytes: Uint8Array, what: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    // Find the first invalid sequence: the lenient decoding is exact up to its first U+FFFD that
    // the input does not spell as EF BF BD.
    const lenient = new TextDecoder('utf-8').decode(bytes);
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let from = 0;
    for (;;) {
      const i = lenient.indexOf('\uFFFD', from);
      if (i < 0) break;
      const prefix = lenient.slice(0, i);
      const offset = Buffer.byteLength(prefix, 'utf8');
      if (!(buf[offset] === 0xef && buf[offset + 1] === 0xbf && buf[offset + 2] === 0xbd)) {
        const line = prefix.split('\n').length;
        const column = i - prefix.lastIndexOf('\n');
        throw new PolicySourceError(
          `${what} is not valid UTF-8: byte 0x${buf[offset].toString(16).padStart(2, '0')} at offset ${offset} ` +
            `(line ${line}, column ${column})`,
        );
      }
      from = i + 1;
    }
    throw new PolicySourceError(`${what} is not valid UTF-8`);
  }
}
