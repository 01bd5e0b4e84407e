import { readdirSync } from 'node:fs';

import { readRawMail } from '../../nodes/PayrollMailBounces/read/mimeMessage';
import { readBounce } from '../../nodes/PayrollMailBounces/report/readBounce';
import { CORPUS, CORPUS_CASES, corpusMail } from './corpusCases';

describe('the bounce corpus', () => {
	it('has a row for every file and a file for every row', () => {
		expect(readdirSync(CORPUS).sort()).toEqual(CORPUS_CASES.map((row) => row.file).sort());
		expect(CORPUS_CASES.filter((row) => row.bounces).length).toBeGreaterThanOrEqual(10);
		expect(CORPUS_CASES.filter((row) => !row.bounces).length).toBeGreaterThanOrEqual(6);
	});

	describe.each(['\n', '\r\n'] as const)('with line ends %j', (lineEnd) => {
		it.each(CORPUS_CASES)('$file', ({ file, bounces, mailId, messageId }) => {
			const report = readBounce(readRawMail(corpusMail(file, lineEnd)));
			if (!bounces) {
				expect(report).toBeUndefined();
				return;
			}
			expect(report?.mail).toMatchObject({ mailId, messageId, subject: 'Your payslip for 2026-11' });
			expect(report!.bounces.map(({ recipient, action, status }) => ({ recipient, action, status }))).toEqual(
				bounces.map(({ recipient, action, status }) => ({ recipient, action, status })),
			);
			report!.bounces.forEach((bounce, index) => expect(bounce.diagnostic).toMatch(bounces[index].diagnostic));
		});
	});
});
