import { z } from "zod";
import { isoDate, tenantInput } from "./common";

/** A registry as image references name it: host[:port], e.g. ghcr.io or 127.0.0.1:5000. */
export const registryHost = z
  .string()
  .max(255)
  .regex(
    /^[a-zA-Z0-9](?:[a-zA-Z0-9.-]*[a-zA-Z0-9])?(?::[0-9]{1,5})?$/,
    "must be a registry host such as ghcr.io or 127.0.0.1:5000",
  )
  .transform((h) => h.toLowerCase());

export const setRegistryCredentialInput = tenantInput
  .extend({
    registry: registryHost,
    username: z.string().min(1, "must not be empty").max(255),
    password: z
      .string()
      .min(1, "must not be empty")
      .max(4096)
      .describe("stored encrypted; never shown again"),
  })
  .strict();

export const registryRef = tenantInput.extend({ registry: registryHost }).strict();

export const registryCredentialDto = z.object({
  registry: z.string(),
  username: z.string(),
  createdAt: isoDate,
  updatedAt: isoDate,
});

/** The registry an image reference pulls from: its first component when that looks like a host (Docker's rule). */
export function registryOf(image: string): string {
  const slash = image.indexOf("/");
  const first = slash < 0 ? "" : image.slice(0, slash);
  return first && (first.includes(".") || first.includes(":") || first === "localhost")
    ? first.toLowerCase()
    : "docker.io";
}

/** One image a registry's catalogue holds, with its kind when its manifest said (else null). */
export const catalogImage = z.object({
  image: z.string().describe("registry/repository:tag, ready to deploy"),
  kind: z
    .enum(["image", "unikernel"])
    .nullable()
    .describe("image: an OCI container image (container, microvm); unikernel: a unikernel artifact"),
});

/** What one registry offered: its images, or why it offered none (its catalogue is private, off, unreachable). */
export const registryCatalog = z.object({
  registry: z.string(),
  images: z.array(catalogImage),
  error: z.string().nullable(),
});
export type RegistryCatalog = z.infer<typeof registryCatalog>;
