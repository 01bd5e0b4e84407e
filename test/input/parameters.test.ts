import type { INodeProperties } from 'n8n-workflow';

import { defaultOf, PER_ITEM_PARAMETERS, RUN_WIDE_PARAMETERS } from '../../nodes/PayrollMail/input/parameters';
import { defaultTuning } from '../../nodes/PayrollMail/input/runSettings';
import { payrollMailProperties } from '../../nodes/PayrollMail/PayrollMail.description';

/** Every parameter of the description by its path: `batchSize`, `options.maxRetries`. */
function describedPaths(): string[] {
	return payrollMailProperties.flatMap((property) =>
		property.type === 'collection' ? (property.options as INodeProperties[]).map((option) => `${property.name}.${option.name}`) : [property.name],
	);
}

describe('which parameters hold for the run and which for each item', () => {
	it('every parameter of the description is in exactly one list', () => {
		const paths = describedPaths();
		expect(paths.length).toBeGreaterThan(35);
		const listed = [...RUN_WIDE_PARAMETERS, ...PER_ITEM_PARAMETERS];
		expect(new Set(listed).size).toBe(listed.length);
		expect([...listed].sort()).toEqual([...paths].sort());
	});

	it('defaults come from the description, the credential test\'s tuning included', () => {
		expect(defaultOf('options.maxRetries')).toBe(2);
		expect(defaultOf('options.charset')).toBe('utf8');
		expect(defaultTuning()).toEqual({
			parallelConnections: 1,
			mailsPerConnection: 100,
			connectionTimeoutMs: 30_000,
			greetingTimeoutMs: 30_000,
			socketTimeoutMs: 60_000,
		});
	});
});
