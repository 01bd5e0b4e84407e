import { Readable } from 'node:stream';

import { NodeConnectionTypes } from 'n8n-workflow';
import type { IExecuteFunctions, INodeExecutionData, INodeType } from 'n8n-workflow';

export const PERIOD = '2026-11';
export const PAYSLIP_FILE_NAME = `payslip-${PERIOD}.pdf`;

export interface BenchEmployee {
	name: string;
	email: string;
	period: string;
}

export function benchEmployees(count: number): BenchEmployee[] {
	return Array.from({ length: count }, (_, index) => ({
		name: `Employee ${index + 1}`,
		email: `employee${index + 1}@example.com`,
		period: PERIOD,
	}));
}

/** Pseudo-random bytes (xorshift32, fixed seed): incompressible like a real PDF's streams, and the same every run. */
function randomish(size: number, seed = 0x9e3779b9): Buffer {
	const words = new Uint32Array(Math.ceil(size / 4));
	let state = seed >>> 0 || 1;
	for (let index = 0; index < words.length; index++) {
		state ^= state << 13;
		state >>>= 0;
		state ^= state >>> 17;
		state ^= state << 5;
		state >>>= 0;
		words[index] = state;
	}
	return Buffer.from(words.buffer, 0, size);
}

/**
 * Payslip PDFs of one size, each unique to its employee and starting with `%PDF-`: a short
 * header naming the employee, then one shared random-ish body. The body is made once, so
 * 10,000 payslips cost no more to make than one, and a payslip can be streamed as two chunks
 * without being copied into a buffer of its own.
 */
export class PayslipMaker {
	private readonly body: Buffer;

	constructor(readonly size: number) {
		this.body = randomish(size);
	}

	private parts(employee: BenchEmployee): [Buffer, Buffer] {
		const head = Buffer.from(`%PDF-1.7\n% payslip of ${employee.name} for ${employee.period}\n`);
		if (head.length >= this.size) throw new Error(`A payslip of ${this.size} bytes is too small for its header`);
		return [head, this.body.subarray(0, this.size - head.length)];
	}

	/** The payslip as one buffer of its own. */
	buffer(employee: BenchEmployee): Buffer {
		return Buffer.concat(this.parts(employee));
	}

	/** The payslip as a stream of two chunks; no copy of the body is made. */
	stream(employee: BenchEmployee): Readable {
		return Readable.from(this.parts(employee), { objectMode: false });
	}
}

/**
 * The source node: emits one item per employee with the payslip stored as binary `data` through
 * `prepareBinaryData`, as an upstream "read files" step would; in filesystem mode each item then
 * holds a reference to a file, not the file. Payslips are stored `concurrency` at a time, so
 * neither memory nor open files grow with the number of employees.
 */
export function payslipSource(
	employees: BenchEmployee[],
	payslipOf: (employee: BenchEmployee, index: number) => Buffer | Readable,
	concurrency = 8,
): INodeType {
	return {
		description: {
			displayName: 'employees',
			name: 'employees',
			group: ['transform'],
			version: 1,
			description: 'Bench source: employees with their payslips',
			defaults: { name: 'employees' },
			inputs: [NodeConnectionTypes.Main],
			outputs: [NodeConnectionTypes.Main],
			properties: [],
		},
		async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
			const items: INodeExecutionData[] = new Array<INodeExecutionData>(employees.length);
			let next = 0;
			const worker = async () => {
				while (next < employees.length) {
					const index = next++;
					const employee = employees[index];
					const data = await this.helpers.prepareBinaryData(payslipOf(employee, index), PAYSLIP_FILE_NAME, 'application/pdf');
					items[index] = { json: { ...employee }, binary: { data }, pairedItem: { item: 0 } };
				}
			};
			await Promise.all(Array.from({ length: Math.min(concurrency, employees.length) }, worker));
			return [items];
		},
	};
}
