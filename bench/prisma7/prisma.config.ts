// Prisma 7 reads prisma.config.ts from the working directory; this one is
// passed explicitly (--config) so the root's Prisma 6 config stays untouched.
export default { schema: 'schema.prisma' };
