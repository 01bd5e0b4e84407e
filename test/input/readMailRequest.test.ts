import type { IExecuteFunctions, INodeParameters } from 'n8n-workflow';

import { ItemParameters } from '../../nodes/PayrollMail/input/itemParameters';
import { readMailRequest } from '../../nodes/PayrollMail/input/readMailRequest';

const EMPLOYEES = [0, 1, 2].map((index) => ({ json: { email: `employee${index}@example.com`, period: '2026-11' } }));

/**
 * Just enough of n8n's context (a stand-in, not n8n): parameters as saved, the employees as input
 * items, and an expression n8n evaluates standing for each item's address.
 */
function fakeContext(parameters: INodeParameters, reads: string[]): IExecuteFunctions {
	const valueAt = (path: string): unknown => path.split('.').reduce<unknown>((value, key) => (value as INodeParameters | undefined)?.[key], parameters);
	return {
		getNode: () => ({ parameters }),
		getInputData: () => EMPLOYEES,
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
		const context = fakeContext({ fromEmail: 'payroll@example.com', toEmail: '={{ $json.email.trim() }}', subject: 'Your payslip', attachments: 'data' }, reads);
		const parameters = new ItemParameters(context);
		const requests = [0, 1, 2].map((itemIndex) => readMailRequest(parameters, itemIndex, 'send'));

		expect(requests.map((request) => request.to[0].address)).toEqual(['employee0@example.com', 'employee1@example.com', 'employee2@example.com']);
		expect(requests.map((request) => request.subject)).toEqual(['Your payslip', 'Your payslip', 'Your payslip']);
		expect(reads.filter((read) => read.startsWith('toEmail@'))).toEqual(['toEmail@0', 'toEmail@1', 'toEmail@2']);
		expect(reads.filter((read) => read.startsWith('subject@'))).toEqual(['subject@0']);
		expect(reads.filter((read) => read.startsWith('fromEmail@'))).toEqual(['fromEmail@0']);
	});

	it('reads an expression that only puts fields of the item into text from the item, without n8n', () => {
		const reads: string[] = [];
		const saved = { fromEmail: 'payroll@example.com', toEmail: '={{ $json.email }}', subject: '=Your payslip for {{ $json.period }}', attachments: 'data' };
		const parameters = new ItemParameters(fakeContext(saved, reads));
		const requests = [0, 1, 2].map((itemIndex) => readMailRequest(parameters, itemIndex, 'send'));

		expect(requests.map((request) => [request.to[0].address, request.subject])).toEqual(
			EMPLOYEES.map(({ json }) => [json.email, 'Your payslip for 2026-11']),
		);
		expect(reads.filter((read) => read.startsWith('toEmail@') || read.startsWith('subject@'))).toEqual([]);
	});

	it('reads a collection with an expression anywhere inside it for each item', () => {
		const reads: string[] = [];
		const headers = { header: [{ name: 'X-Employee', value: '={{ $json.email }}' }] };
		const parameters = new ItemParameters(fakeContext({ fromEmail: 'payroll@example.com', toEmail: 'a@example.com', attachments: 'data', options: { headers } }, reads));
		for (const itemIndex of [0, 1]) readMailRequest(parameters, itemIndex, 'send');

		expect(reads.filter((read) => read.startsWith('options.headers@'))).toEqual(['options.headers@0', 'options.headers@1']);
		expect(reads.filter((read) => read.startsWith('toEmail@'))).toEqual(['toEmail@0']);
	});
});
