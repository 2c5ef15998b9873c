import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The repository's templates/ (templates/<feature>/<platform>.j2): the built-in platforms'
 * templates, and where any platform's template may `{% extends %}` one of them from.
 * src/platforms and dist/platforms both sit two levels below the package root.
 */
export const BUILTIN_TEMPLATES = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'templates');
