// Prisma CLI configuration. Only `prisma generate` runs here (see README "Database");
// migrations are applied by `npm run migrate`, which records them exactly as Prisma does.
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: {
    url: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/claimchain',
  },
});
