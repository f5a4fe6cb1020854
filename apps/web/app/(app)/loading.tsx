import { LoadingRows } from "@/components/ui/skeleton";

export default function Loading() {
  return <LoadingRows label="page" rows={4} />;
}
