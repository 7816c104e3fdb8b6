// Preloaded (-r) into every process the local platform starts (tools/platform/processes.ts). The
// platform holds the write end of the child's stdin: when the platform process ends, however it ends
// (Ctrl-C, kill -9, a closed terminal, a test runner killed), the pipe closes and the child stops as
// on SIGTERM (its graceful shutdown), instead of outliving the platform with its ports, connections
// and consumers. No timer: an idle process is not woken by this.
if (!process.stdin.isTTY) {
  const stop = () => process.kill(process.pid, 'SIGTERM');
  process.stdin.once('end', stop);
  process.stdin.once('error', stop);
  process.stdin.resume();
  // The pipe alone must not keep a process alive that has finished its work.
  process.stdin.unref?.();
}
