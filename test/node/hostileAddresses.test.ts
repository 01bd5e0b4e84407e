import { domainToASCII } from 'node:url';

import fc from 'fast-check';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

import type { Mailbox } from '../../nodes/PayrollMail/compose/addresses';
import type { HarnessItem } from '../harness';
import { generatedField } from '../support/addressArbitraries';
import { ACCEPTED, quotedInMessage, REFUSED } from '../support/addressCorpus';
import { TestSmtpServer, type ReceivedMessage } from '../support/testSmtpServer';
import { clerkParameters, mailOf, payslipPdf, runPayrollMail, SMTP_PASSWORD, SMTP_USER } from './payrollRun';

const ARCHIVE = 'archive@payroll.example';
const EMPLOYEE = 'employee@payroll.example';

let server: TestSmtpServer;
beforeAll(async () => {
	server = await TestSmtpServer.start({ tls: 'none', authMethods: ['LOGIN'], users: { [SMTP_USER]: SMTP_PASSWORD } });
});
afterAll(async () => server.close());
beforeEach(() => server.messages.splice(0));

/** One item per case; each mail carries its case number, so what the server got is traced back. */
function caseItems(fields: Array<Record<string, string>>): HarnessItem[] {
	return fields.map((fields, index) => ({
		json: { case: String(index), ...fields },
		binary: { data: { data: payslipPdf({ name: `case ${index}`, email: '', period: '2026-11' }), fileName: 'payslip.pdf', mimeType: 'application/pdf' } },
	}));
}

const TRACED = {
	bccEmail: ARCHIVE,
	options: { headers: { header: [{ name: 'X-Case', value: '={{ $json.case }}' }] }, maxRetries: 0 },
};

interface Arrival {
	message: ReceivedMessage;
	parsed: ParsedMail;
}

async function arrivalsByCase(): Promise<Map<string, Arrival[]>> {
	const byCase = new Map<string, Arrival[]>();
	for (const message of server.messages) {
		const parsed = await simpleParser(message.raw);
		const key = String(parsed.headers.get('x-case'));
		byCase.set(key, [...(byCase.get(key) ?? []), { message, parsed }]);
	}
	return byCase;
}

/** Compares addresses as the wire carries them: NFC, domain as an A-label, domain case ignored. */
function wire(address: string): string {
	const at = address.lastIndexOf('@');
	const local = address.slice(0, at).normalize('NFC');
	return `${local}@${domainToASCII(address.slice(at + 1).normalize('NFC'))}`;
}

/** The mailboxes of a received header, refusing group syntax outright. */
function headerMailboxes(header: AddressObject | AddressObject[] | undefined): Mailbox[] {
	const objects = header === undefined ? [] : Array.isArray(header) ? header : [header];
	return objects.flatMap((object) =>
		object.value.map((entry) => {
			expect(entry.group).toBeUndefined();
			return { name: entry.name, address: wire(entry.address ?? '') };
		}),
	);
}

function itemsByCase(outputs: INodeExecutionData[][]): Map<string, { output: number; mail: IDataObject }> {
	const byCase = new Map<string, { output: number; mail: IDataObject }>();
	outputs.forEach((items, output) => items.forEach((item) => byCase.set(String(item.json.case), { output, mail: mailOf(item) })));
	return byCase;
}

describe.each([
	['To Email', { toEmail: '={{ $json.field }}' }, 'to'],
	['CC Email', { toEmail: EMPLOYEE, options: { ccEmail: '={{ $json.field }}' } }, 'cc'],
] as const)('the address corpus in %s, through the engine and a real SMTP exchange', (fieldName, parameters, header) => {
	const accepted = ACCEPTED.filter((field) => field.mailboxes.length > 0);
	const cases = [...accepted.map((field) => field.text), ...REFUSED.map((field) => field.text)];

	it(`sends each readable field to exactly its own addresses and refuses the rest at validation`, async () => {
		expect(accepted.length).toBeGreaterThanOrEqual(30);
		expect(cases).toHaveLength(accepted.length + REFUSED.length);
		const { outputs, error } = await runPayrollMail({
			server,
			items: caseItems(cases.map((field) => ({ field }))),
			parameters: clerkParameters({ ...TRACED, ...parameters, options: { ...TRACED.options, ...('options' in parameters ? parameters.options : {}) } }),
		});
		expect(error).toBeUndefined();
		const items = itemsByCase(outputs);
		const arrivals = await arrivalsByCase();
		expect(items.size).toBe(cases.length);
		expect(outputs[0].map((item) => item.json.field)).toEqual(accepted.map((field) => field.text));
		expect(outputs[1]).toHaveLength(REFUSED.length);
		expect(server.messages).toHaveLength(accepted.length);

		accepted.forEach((field, index) => {
			const { output, mail } = items.get(String(index))!;
			expect([field.text, output, mail.status]).toEqual([field.text, 0, 'sent']);
			const [arrival, ...more] = arrivals.get(String(index)) ?? [];
			expect(more).toHaveLength(0);
			const others = header === 'cc' ? [EMPLOYEE] : [];
			const own = field.mailboxes.map((mailbox) => wire(mailbox.address));
			// The envelope holds the item's own addresses and the archive copy, nothing else.
			expect(arrival.message.to.map(wire).sort()).toEqual([...new Set([...others, ...own, ARCHIVE])].sort());
			// What the employee sees is exactly the envelope without the archive copy, names intact.
			expect(headerMailboxes(arrival.parsed[header])).toEqual(field.mailboxes.map((mailbox) => ({ ...mailbox, address: wire(mailbox.address) })));
			expect(arrival.parsed.bcc).toBeUndefined();
		});
		REFUSED.forEach((field, index) => {
			const caseKey = String(accepted.length + index);
			const { output, mail } = items.get(caseKey)!;
			expect([field.text, output]).toEqual([field.text, 1]);
			const refusal = mail.error as IDataObject;
			expect(refusal).toMatchObject({ stage: 'validation', code: 'EVALIDATION', permanent: true });
			expect(refusal.message).toMatch(new RegExp(`^${fieldName}`));
			expect(refusal.message).toContain(quotedInMessage(field));
			expect(arrivals.has(caseKey)).toBe(false);
		});
	});
});

describe('the sender and the test recipient, from the corpus of single mailboxes', () => {
	const single = ACCEPTED.filter((field) => field.mailboxes.length === 1);

	it('writes From with the name quoted or encoded, never as a group, and the envelope sender is its address', async () => {
		expect(single.length).toBeGreaterThanOrEqual(25);
		const { outputs } = await runPayrollMail({
			server,
			items: caseItems(single.map((field) => ({ sender: field.text }))),
			parameters: clerkParameters({ ...TRACED, toEmail: EMPLOYEE, fromEmail: '={{ $json.sender }}' }),
		});
		expect(outputs[0]).toHaveLength(single.length);
		const arrivals = await arrivalsByCase();
		single.forEach((field, index) => {
			const [{ message, parsed }] = arrivals.get(String(index))!;
			const [sender] = field.mailboxes;
			expect(headerMailboxes(parsed.from)).toEqual([{ ...sender, address: wire(sender.address) }]);
			expect(wire(message.from)).toBe(wire(sender.address));
			// One header line, unfolded, never in group form ("Name: ...;").
			const fromLine = message.raw.toString('utf8').split('\r\n\r\n')[0].replace(/\r\n[ \t]/g, ' ').split('\r\n').find((line) => /^From:/i.test(line))!;
			expect(fromLine).not.toMatch(/;\s*$/);
		});
	});

	it('sends a test run only to the test recipient, whatever the employee field holds', async () => {
		const refusedSingles = REFUSED.slice(0, 20);
		const { outputs } = await runPayrollMail({
			server,
			items: caseItems([...single.map((field) => ({ tester: field.text })), ...refusedSingles.map((field) => ({ tester: field.text }))]),
			parameters: clerkParameters({
				...TRACED,
				sendMode: 'testRecipient',
				testRecipient: '={{ $json.tester }}',
				toEmail: EMPLOYEE,
				options: { ...TRACED.options, ccEmail: 'boss@payroll.example' },
			}),
		});
		expect(outputs[0]).toHaveLength(single.length);
		expect(outputs[1]).toHaveLength(refusedSingles.length);
		const arrivals = await arrivalsByCase();
		single.forEach((field, index) => {
			const [{ message, parsed }] = arrivals.get(String(index))!;
			expect(message.to.map(wire)).toEqual([wire(field.mailboxes[0].address)]);
			expect(headerMailboxes(parsed.to).map((mailbox) => mailbox.address)).toEqual([wire(field.mailboxes[0].address)]);
			expect(parsed.cc).toBeUndefined();
		});
		for (const { json } of outputs[1]) expect(mailOf({ json }).error).toMatchObject({ stage: 'validation', message: expect.stringMatching(/^Test Address/) });
	});
});

describe('generated fields through the engine (property-based)', () => {
	it('every RCPT of a sent mail is one of the item\'s own addresses, and To/Cc show the envelope without the archive copy', async () => {
		let sent = 0;
		let refused = 0;
		await fc.assert(
			fc.asyncProperty(fc.array(fc.tuple(generatedField(), generatedField()), { minLength: 40, maxLength: 40 }), async (fields) => {
				server.messages.splice(0);
				const { outputs, error } = await runPayrollMail({
					server,
					items: caseItems(fields.map(([to, cc]) => ({ to: to.text, cc: cc.text }))),
					parameters: clerkParameters({ ...TRACED, toEmail: '={{ $json.to }}', options: { ...TRACED.options, ccEmail: '={{ $json.cc }}' } }),
				});
				expect(error).toBeUndefined();
				const items = itemsByCase(outputs);
				const arrivals = await arrivalsByCase();
				expect(items.size).toBe(fields.length);
				fields.forEach(([to, cc], index) => {
					const { mail } = items.get(String(index))!;
					const arrived = arrivals.get(String(index)) ?? [];
					if (mail.status !== 'sent') {
						refused++;
						expect((mail.error as IDataObject).stage).toBe('validation');
						expect(arrived).toHaveLength(0);
						return;
					}
					sent++;
					expect(arrived).toHaveLength(1);
					const [{ message, parsed }] = arrived;
					const own = [...to.intended, ...cc.intended].map((mailbox) => wire(mailbox.address));
					const rcpt = message.to.map(wire);
					for (const address of rcpt) expect([...own, ARCHIVE]).toContain(address);
					const visible = [...headerMailboxes(parsed.to), ...headerMailboxes(parsed.cc)].map((mailbox) => mailbox.address);
					expect([...new Set(visible)].sort()).toEqual(rcpt.filter((address) => address !== ARCHIVE || own.includes(ARCHIVE)).sort());
					expect(new Set(rcpt)).toEqual(new Set([...own, ARCHIVE]));
				});
			}),
			{ numRuns: 6, seed: 20261130, endOnFailure: true },
		);
		expect(Math.min(sent, refused)).toBeGreaterThan(40);
	});
});

describe('internationalised mailboxes (characters beyond ASCII before the @)', () => {
	const items = () =>
		caseItems([{ to: 'anna@corp.example' }, { to: 'Jürg <jürg@bücher.example>' }, { to: 'beat@bücher.example' }]);
	const parameters = clerkParameters({ ...TRACED, toEmail: '={{ $json.to }}' });

	it('go only to a server that offers SMTPUTF8, with the domain in UTF-8 too', async () => {
		const { outputs } = await runPayrollMail({ server, items: items(), parameters });
		expect(outputs[0].map((item) => item.json.case)).toEqual(['0', '1', '2']);
		const arrivals = await arrivalsByCase();
		expect(arrivals.get('1')![0].message.to).toEqual(['jürg@bücher.example', ARCHIVE]);
		// An ASCII local part with an IDN domain needs no SMTPUTF8: the domain goes as an A-label
		// (the server shows it decoded; what was sent is in the result).
		expect(arrivals.get('2')![0].message.to.map(wire)).toEqual(['beat@xn--bcher-kva.example', ARCHIVE]);
		expect(mailOf(outputs[0][2]).accepted).toEqual(['beat@xn--bcher-kva.example', ARCHIVE]);
	});

	it('fail alone, saying why, at a server without SMTPUTF8, instead of going out raw', async () => {
		const plain = await TestSmtpServer.start({ tls: 'none', authMethods: ['LOGIN'], users: { [SMTP_USER]: SMTP_PASSWORD }, hideSmtpUtf8: true });
		try {
			const { outputs } = await runPayrollMail({ server: plain, items: items(), parameters });
			expect(outputs[0].map((item) => item.json.case)).toEqual(['0', '2']);
			expect(outputs[1]).toHaveLength(1);
			expect(mailOf(outputs[1][0]).error).toMatchObject({
				stage: 'envelope',
				code: 'ESMTPUTF8',
				permanent: true,
				message: expect.stringContaining('does not offer SMTPUTF8, so it cannot take "jürg@bücher.example"'),
			});
			expect(plain.messages.map((message) => message.to.map(wire))).toEqual([
				['anna@corp.example', ARCHIVE],
				['beat@xn--bcher-kva.example', ARCHIVE],
			]);
		} finally {
			await plain.close();
		}
	});
});
