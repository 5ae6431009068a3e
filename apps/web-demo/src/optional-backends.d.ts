// Optional backend packages (see src/backends.ts): typed loosely so the page compiles whether or not
// they are dependencies of this build; importing one registers it with @hypercolumn/core.
declare module '@hypercolumn/backend-wasm';
declare module '@hypercolumn/backend-webgpu';
