export { ImageError } from "./errors";
export { parseRef } from "./ref";
export { type ImageEvent, OciImageStore, type OciImageStoreOptions } from "./store";
export type * from "./types";
