// Preloaded into a spawned daemon (NODE_OPTIONS=--import) by the hostile-input suite: on SIGUSR2 it leaves one
// promise rejection unhandled, so the suite can check that the daemon logs it and keeps serving.
process.on("SIGUSR2", () => {
  Promise.reject(new Error("hardening probe: a rejection nobody handles"));
});
