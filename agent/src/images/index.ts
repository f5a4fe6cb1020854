export {
  kindOf,
  UNIKERNEL_CONFIG_MEDIA_TYPE,
  UNIKERNEL_KERNEL_MEDIA_TYPE,
  unikernelAnnotations,
} from "./artifact";
export { ImageError } from "./errors";
export { parseRef } from "./ref";
export { type ImageEvent, OciImageStore, type OciImageStoreOptions } from "./store";
export type * from "./types";
