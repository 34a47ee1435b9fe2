/**
 * Exits once stdout and stderr have handed over what is queued. A parent
 * that spawns a command with piped stdio (a test, CI, a deploy wrapper) gets
 * an asynchronous socket, and `process.exit` drops what is still in it:
 * `db:org:list` over 10,000 organizations printed a few hundred lines.
 * A write's callback runs after every earlier write has been flushed.
 */
export function exitFlushed(code: number): Promise<never> {
  return new Promise<never>(() => {
    let pending = 2;
    const done = () => {
      pending -= 1;
      if (pending === 0) process.exit(code);
    };
    process.stdout.write('', done);
    process.stderr.write('', done);
  });
}
