// Jest loads globalSetup through a CommonJS require hook that ignores moduleNameMapper, so the
// `./x.js` specifiers of our ESM sources would not find `./x.ts`. Map them here, for setup only.
const Module = require('node:module');

const original = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  try {
    return original.call(this, request, ...rest);
  } catch (error) {
    if (/^\.{1,2}\/.*\.js$/.test(request)) return original.call(this, request.replace(/\.js$/, '.ts'), ...rest);
    throw error;
  }
};
