import type { INodeExecutionData } from 'n8n-workflow';

import type { MailResult } from '../../nodes/PayrollMail/result/mailResult';
import { FAILED, routeItems, SENT } from '../../nodes/PayrollMail/result/outputs';

const result = (status: MailResult['status']) => ({ status }) as MailResult;

describe('routeItems', () => {
	const items: INodeExecutionData[] = ['sent', 'failed', 'skipped', 'partial', 'dryRun', 'failed'].map((_, index) => ({
		json: { employee: index },
		...(index === 1 ? { binary: { data: { data: 'JVBERi0=', mimeType: 'application/pdf' } } } : {}),
	}));
	const statuses: Array<MailResult['status']> = ['sent', 'failed', 'skipped', 'partial', 'dryRun', 'failed'];

	it('puts every item on exactly one output, in input order, failed ones on Failed', () => {
		expect(items).toHaveLength(statuses.length);
		const outputs = routeItems(items, statuses.map(result));
		expect(outputs).toHaveLength(2);
		expect(outputs[SENT].map((item) => item.json.employee)).toEqual([0, 2, 3, 4]);
		expect(outputs[FAILED].map((item) => item.json.employee)).toEqual([1, 5]);
	});

	it('keeps each item\'s own json and binary, adds its mail, and pairs it with its input', () => {
		const outputs = routeItems(items, statuses.map(result), [undefined, { eml: { data: 'ZW1s', mimeType: 'message/rfc822' } }]);
		const [failed] = outputs[FAILED];
		expect(failed).toEqual({
			json: { employee: 1, mail: { status: 'failed' } },
			binary: { data: { data: 'JVBERi0=', mimeType: 'application/pdf' }, eml: { data: 'ZW1s', mimeType: 'message/rfc822' } },
			pairedItem: { item: 1 },
		});
		expect(outputs[SENT][0]).toEqual({ json: { employee: 0, mail: { status: 'sent' } }, pairedItem: { item: 0 } });
	});
});
