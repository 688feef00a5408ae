import { fileURLToPath } from 'node:url';

/**
 * The website's static files: the top-level `web/` folder, found relative to this module so that
 * it is the same from src/ (tests) and dist/ (npm start). Plain HTML, CSS and ES modules: no build.
 */
export const WEB_ROOT = fileURLToPath(new URL('../../web/', import.meta.url));
