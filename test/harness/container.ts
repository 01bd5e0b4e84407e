import type * as Di from '@n8n/di';

/**
 * The DI container n8n-core registers its services in. Resolved through n8n-core because npm
 * nests n8n-core's own copy of @n8n/di under it (@n8n/node-cli hoists an older one), and a
 * second copy would be a second, empty container.
 */
const diPath = require.resolve('@n8n/di', { paths: [require.resolve('n8n-core')] });
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the path is only known at run time
const di = require(diPath) as typeof Di;

export const Container: Pick<typeof di.Container, 'get'> = di.Container;
