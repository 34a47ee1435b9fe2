// What tooling and bench may use of row-level security (`@acme/db/rls`): the app login's name and the rls.sql generator.
export { APP_ROLE } from './names.ts';
export { generateRlsSql } from './policies-sql.ts';
