import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { INodeParameters, INodeProperties } from 'n8n-workflow';

import { payrollMailProperties } from '../../nodes/PayrollMail/PayrollMail.description';
import { MAX_TIMER_MS, systemClock } from '../../nodes/PayrollMail/plan/clock';
import { TestSmtpServer } from '../support/testSmtpServer';
import { clerkParameters, employeeItems, employees, mailOf, runPayrollMail, SMTP_PASSWORD, SMTP_USER } from './payrollRun';

let server: TestSmtpServer;
beforeAll(async () => {
	server = await TestSmtpServer.start({ tls: 'none', authMethods: ['LOGIN'], users: { [SMTP_USER]: SMTP_PASSWORD } });
});
afterAll(async () => server.close());

const options = (payrollMailProperties.find((property) => property.name === 'options')?.options ?? []) as INodeProperties[];
const described = (name: string) => [...payrollMailProperties, ...options].find((property) => property.name === name)!;

describe('the editor\'s bounds keep every wait within what a timer can do', () => {
	it.each(['batchWait', 'mailDelay', 'retryWait', 'connectionTimeout', 'greetingTimeout', 'socketTimeout'])('%s has an upper bound under 2^31 ms', (name) => {
		const { maxValue } = described(name).typeOptions ?? {};
		expect(maxValue).toBeDefined();
		expect(maxValue! * 1000).toBeLessThanOrEqual(MAX_TIMER_MS);
	});

	it('the longest retry backoff (Retry Wait × 2^(Retries − 1)) fits too', () => {
		const longest = described('retryWait').typeOptions!.maxValue! * 2 ** (described('maxRetries').typeOptions!.maxValue! - 1);
		expect(longest * 1000).toBeLessThanOrEqual(MAX_TIMER_MS);
	});

	it.each(['batchSize', 'maxRetries', 'parallelConnections', 'mailsPerConnection'])('%s takes whole numbers only', (name) => {
		expect(described(name).typeOptions?.numberPrecision).toBe(0);
	});

	it('a wait longer than a timer can last is refused, never cut to a millisecond', async () => {
		await expect(systemClock.sleep(MAX_TIMER_MS + 1)).rejects.toThrow(RangeError);
	});
});

describe('a number set by an expression outside the editor\'s bounds stops the node before anything is sent', () => {
	const cases: Array<[string, INodeParameters, RegExp]> = [
		['milliseconds typed into a seconds field', { batchSize: 5, batchWait: '={{ 60000 * 1000 }}' }, /^Wait Between Batches \(Seconds\) must be a number from 0 to 86400, not 60000000$/],
		['a wait past the largest timer', { mailDelay: '={{ 2 ** 31 }}' }, /^Wait Between Mails \(Seconds\) must be a number from 0 to 3600, not 2147483648$/],
		['a negative retry wait', { options: { retryWait: '={{ -1 }}' } }, /^Retry Wait \(Seconds\) must be a number from 0 to 3600, not -1$/],
		['a thousand retries', { options: { maxRetries: '={{ 1000 }}' } }, /^Retries must be a number from 0 to 10, not 1000$/],
		['half a retry', { options: { maxRetries: '={{ 2.5 }}' } }, /^Retries must be a whole number from 0 to 10, not 2\.5$/],
		['a thousand connections', { options: { parallelConnections: '={{ 1000 }}' } }, /^Parallel Connections must be a number from 1 to 10, not 1000$/],
		['no connection at all', { options: { parallelConnections: '={{ 0 }}' } }, /^Parallel Connections must be a number from 1 to 10, not 0$/],
		['a negative number of mails per connection', { options: { mailsPerConnection: '={{ -5 }}' } }, /^Mails per Connection must be a number 0 or more, not -5$/],
		['a zero silence timeout (nodemailer would wait 10 minutes)', { options: { socketTimeout: '={{ 0 }}' } }, /^Server Silence Timeout \(Seconds\) must be a number from 1 to 3600, not 0$/],
		['a timeout that is text', { options: { connectionTimeout: '={{ "soon" }}' } }, /^Connection Timeout \(Seconds\) must be a number from 1 to 3600, not "soon"$/],
		['a timeout that is not a number', { options: { greetingTimeout: '={{ NaN }}' } }, /^Greeting Timeout \(Seconds\) must be a number from 1 to 3600, not NaN$/],
		['a fractional batch size', { batchSize: '={{ 2.5 }}' }, /^Mails per Batch must be a whole number 0 or more, not 2\.5$/],
	];

	it.each(cases)('%s', async (_name, overrides, message) => {
		const sessionsBefore = server.sessions.size;
		const { error, outputs } = await runPayrollMail({ server, items: employeeItems(employees(2)), parameters: clerkParameters(overrides) });
		expect(error?.name).toBe('NodeOperationError');
		expect(error?.message).toMatch(message);
		expect(outputs.flat()).toEqual([]);
		expect(server.sessions.size).toBe(sessionsBefore);
	});

	it('a number given as text that reads as one is taken', async () => {
		const messagesBefore = server.messages.length;
		const { outputs } = await runPayrollMail({ server, items: employeeItems(employees(2)), parameters: clerkParameters({ batchSize: '={{ "1" }}', batchWait: '={{ "0.01" }}' }) });
		expect(outputs[0].map((item) => mailOf(item).batch)).toEqual([1, 2]);
		expect(server.messages.length - messagesBefore).toBe(2);
	});
});

describe('a run-wide parameter whose expression differs from item to item', () => {
	it('stops the node, naming the parameter, the values and the item', async () => {
		const items = employeeItems(employees(3));
		items.forEach((item, index) => (item.json.limit = index === 2 ? 20 : 10));
		const sessionsBefore = server.sessions.size;
		const { error } = await runPayrollMail({ server, items, parameters: clerkParameters({ batchSize: '={{ $json.limit }}' }) });
		expect(error?.message).toBe(
			'Mails per Batch holds for the whole run, but its expression gives 10 for item 0 and 20 for item 2. Make it the same for every item',
		);
		expect(server.sessions.size).toBe(sessionsBefore);
	});

	it('a pickup folder that differs per item is refused, rather than everything going to the first item\'s', async () => {
		const folders = [mkdtempSync(join(tmpdir(), 'pickup-a-')), mkdtempSync(join(tmpdir(), 'pickup-b-'))];
		try {
			const items = employeeItems(employees(2));
			items.forEach((item, index) => (item.json.folder = folders[index]));
			const { error } = await runPayrollMail({ server, items, parameters: clerkParameters({ delivery: 'pickupDirectory', pickupDirectory: '={{ $json.folder }}' }) });
			expect(error?.message).toMatch(/^Pickup Directory holds for the whole run, but its expression gives ".*pickup-a-.*" for item 0 and ".*pickup-b-.*" for item 1/);
		} finally {
			for (const folder of folders) rmSync(folder, { recursive: true, force: true });
		}
	});

	it('the same value from every item is taken', async () => {
		const items = employeeItems(employees(3));
		items.forEach((item) => (item.json.limit = 2));
		const { outputs } = await runPayrollMail({ server, items, parameters: clerkParameters({ batchSize: '={{ $json.limit }}' }) });
		expect(outputs[0].map((item) => mailOf(item).batch)).toEqual([1, 1, 2]);
	});
});
