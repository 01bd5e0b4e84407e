import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

import { simpleParser } from 'mailparser';

import { main, runDemo, type DemoResult } from '../../examples/demo/demo';
import { sampleEmployees } from '../../examples/demo/payslips';
import { judgeRun } from '../../examples/demo/summary';

function collector() {
	const chunks: string[] = [];
	return {
		write: (text: string) => chunks.push(text),
		text: () => chunks.join(''),
	};
}

describe('npm run demo, small: 6 employees, batches of 3, 0.2 s apart', () => {
	const outDir = mkdtempSync(join(tmpdir(), 'payroll-demo-test-'));
	const output = collector();
	let result: DemoResult;

	beforeAll(async () => {
		result = await runDemo({ employees: 6, batchSize: 3, waitSeconds: 0.2, outDir }, output);
	});
	afterAll(() => rmSync(outDir, { recursive: true, force: true }));

	it('goes as designed and says so', () => {
		expect(result.problems).toEqual([]);
		expect(result.exitCode).toBe(0);
		expect(output.text()).toMatch(/As designed: 4 payslips sent/);
	});

	it('shows the batches and the wait between them while it runs', () => {
		const text = output.text();
		expect(text).toMatch(/batch 1 of 2\n/);
		expect(text).toMatch(/✓ anna\.mueller@example\.com \(batch 1\)\s+\+ archive copy/);
		expect(text).toMatch(/waiting 0\.2 s before batch 2 …/);
		expect(text).toMatch(/batch 2 of 2 \(the server's first mail after a pause of 0\.\d\d s\)/);
	});

	it('summarises every employee: sent in which batch with which Message-ID, or failed and why', () => {
		expect(result.rows.map((row) => [row.name, row.status, row.batch])).toEqual([
			['Anna Müller', 'sent', 1],
			['Luca Rossi', 'failed', null],
			['Sarah Meier', 'sent', 1],
			['Marco Bernasconi', 'failed', null],
			['Laura Schneider', 'sent', 1],
			['Jonas Keller', 'sent', 2],
		]);
		expect(result.rows[1]).toMatchObject({ stage: 'validation', address: 'luca.rossi.example.com' });
		expect(result.rows[1].error).toMatch(/is not an e-mail address/);
		expect(result.rows[3]).toMatchObject({ stage: 'attachment' });
		expect(result.rows[3].error).toMatch(/no binary property "data"/);

		const text = output.text();
		expect(text).toMatch(/#\s+Employee\s+Address\s+Status\s+Batch\s+Message-ID\s+Error/);
		for (const row of result.rows.filter((candidate) => candidate.status === 'sent')) {
			expect(text).toContain(row.messageId);
		}
		expect(text).toMatch(/Luca Rossi\s+luca\.rossi\.example\.com\s+failed\s+-\s+-\s+\[validation\] To Email/);
		expect(text).toContain('Totals: 6 employees, 4 sent, 2 failed (validation, attachment), 2 batches');
	});

	it('writes each received mail as an .eml file a mail program can open, with the payslip PDF attached', async () => {
		expect(result.emlFiles.map((file) => basename(file))).toEqual([
			'01-anna.mueller.eml',
			'03-sarah.meier.eml',
			'05-laura.schneider.eml',
			'06-jonas.keller.eml',
		]);
		expect(output.text()).toContain(`(4 .eml files, open them with any mail program): ${outDir}`);
		const sent = result.rows.filter((row) => row.status === 'sent');
		for (const [index, file] of result.emlFiles.entries()) {
			const mail = await simpleParser(readFileSync(file));
			expect(mail.to).toMatchObject({ value: [{ address: sent[index].address }] });
			expect(mail.bcc).toBeUndefined();
			expect(mail.subject).toMatch(/^Your payslip for \w+ \d{4}$/);
			expect(mail.messageId).toBe(sent[index].messageId);
			expect(mail.attachments).toHaveLength(1);
			const [pdf] = mail.attachments;
			expect(pdf.contentType).toBe('application/pdf');
			expect(pdf.filename).toMatch(/^payslip-\d{4}-\d{2}-E100\d\.pdf$/);
			expect(pdf.content.subarray(0, 5).toString()).toBe('%PDF-');
		}
	});
});

describe('the demo command line', () => {
	it('--help lists the knobs and exits 0', async () => {
		const output = collector();
		await expect(main(['--help'], output, output)).resolves.toBe(0);
		for (const knob of ['--employees N', '--batch-size N', '--wait SECONDS', '--out DIR']) {
			expect(output.text()).toContain(knob);
		}
	});

	it('refuses an unknown option or a bad value with status 2, before anything runs', async () => {
		for (const argv of [['--employes', '5'], ['--employees', '2'], ['--wait', 'soon'], ['--batch-size', '-1']]) {
			const output = collector();
			await expect(main(argv, output, output)).resolves.toBe(2);
			expect(output.text()).toMatch(/Usage: npm run demo/);
		}
	});
});

describe('the verdict of the demo', () => {
	it('is not "as designed" when the node sent nothing, and says why', async () => {
		const employees = sampleEmployees(4);
		const verdict = await judgeRun({
			employees,
			pdfs: new Map(),
			outputs: [[], []],
			status: 'error',
			error: undefined,
			messages: [],
			loginMethods: [],
			archive: 'payroll-archive@example.com',
			sender: 'payroll@example.com',
			batchSize: 3,
			waitSeconds: 0.2,
		});
		expect(verdict.problems).toEqual(
			expect.arrayContaining([
				'the workflow ended with status "error"',
				'0 items on Sent, expected 2',
				'the SMTP server received 0 mails, expected 2',
				'the node never logged in',
			]),
		);
	});
});
