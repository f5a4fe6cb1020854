/** A failure of the image pipeline; the message always names the image (or layer) concerned. */
export class ImageError extends Error {
  override name = "ImageError";
  constructor(
    readonly ref: string,
    message: string,
  ) {
    super(`image ${ref}: ${message}`);
  }
}
