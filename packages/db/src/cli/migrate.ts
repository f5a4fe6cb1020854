import { migrate } from "../migrate";

const url = process.env.DATABASE_URL;
if (!url) {
  console.error("DATABASE_URL is not set");
  process.exit(2);
}
const { applied, skipped } = await migrate(url, { log: (l) => console.log(l) });
console.log(`migrations: ${applied.length} applied, ${skipped.length} already applied`);
