/** Image types a poster may have: the Content-Type a server must send, and the bytes it must start with. */
const TYPES = [
  { contentType: 'image/jpeg', extension: 'jpg', matches: (b: Buffer) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff },
  { contentType: 'image/png', extension: 'png', matches: (b: Buffer) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) },
  { contentType: 'image/gif', extension: 'gif', matches: (b: Buffer) => b.subarray(0, 4).toString('latin1') === 'GIF8' },
  { contentType: 'image/webp', extension: 'webp', matches: (b: Buffer) => b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP' },
  { contentType: 'image/avif', extension: 'avif', matches: (b: Buffer) => b.subarray(4, 12).toString('latin1') === 'ftypavif' },
] as const;

export type ImageType = (typeof TYPES)[number];

/** The accepted type for a Content-Type header value (parameters ignored), or null. */
export function imageTypeOf(contentType: string | undefined): ImageType | null {
  const bare = contentType?.split(';')[0]?.trim().toLowerCase();
  return TYPES.find((type) => type.contentType === bare) ?? null;
}

export function extensionOf(contentType: string): string | null {
  return imageTypeOf(contentType)?.extension ?? null;
}
