import type { IExecuteFunctions, INodeParameters } from 'n8n-workflow';

import { readMailRequest } from '../../nodes/PayrollMail/input/readMailRequest';

/** Just enough of n8n's context: parameters as saved, an expression standing for each item's address. */
function fakeContext(parameters: INodeParameters, reads: string[]): IExecuteFunctions {
	const valueAt = (path: string): unknown => path.split('.').reduce<unknown>((value, key) => (value as INodeParameters | undefined)?.[key], parameters);
	return {
		getNode: () => ({ parameters }),
		getNodeParameter: (path: string, itemIndex: number, fallback: unknown) => {
			reads.push(`${path}@${itemIndex}`);
			const value = valueAt(path);
			if (typeof value === 'string' && value.startsWith('=')) return `employee${itemIndex}@example.com`;
			return value ?? fallback;
		},
	} as unknown as IExecuteFunctions;
}

describe('readMailRequest', () => {
	it('reads a parameter without an expression once for all items, and one with an expression for each', () => {
		const reads: string[] = [];
		const context = fakeContext({ fromEmail: 'payroll@example.com', toEmail: '={{ $json.email }}', subject: 'Your payslip', attachments: 'data' }, reads);
		const constants = new Map<string, unknown>();
		const requests = [0, 1, 2].map((itemIndex) => readMailRequest(context, itemIndex, 'send', constants));

		expect(requests.map((request) => request.to[0].address)).toEqual(['employee0@example.com', 'employee1@example.com', 'employee2@example.com']);
		expect(requests.map((request) => request.subject)).toEqual(['Your payslip', 'Your payslip', 'Your payslip']);
		expect(reads.filter((read) => read.startsWith('toEmail@'))).toEqual(['toEmail@0', 'toEmail@1', 'toEmail@2']);
		expect(reads.filter((read) => read.startsWith('subject@'))).toEqual(['subject@0']);
		expect(reads.filter((read) => read.startsWith('fromEmail@'))).toEqual(['fromEmail@0']);
	});

	it('reads a collection with an expression anywhere inside it for each item', () => {
		const reads: string[] = [];
		const headers = { header: [{ name: 'X-Employee', value: '={{ $json.email }}' }] };
		const context = fakeContext({ fromEmail: 'payroll@example.com', toEmail: 'a@example.com', attachments: 'data', options: { headers } }, reads);
		const constants = new Map<string, unknown>();
		for (const itemIndex of [0, 1]) readMailRequest(context, itemIndex, 'send', constants);

		expect(reads.filter((read) => read.startsWith('options.headers@'))).toEqual(['options.headers@0', 'options.headers@1']);
		expect(reads.filter((read) => read.startsWith('toEmail@'))).toEqual(['toEmail@0']);
	});
});
