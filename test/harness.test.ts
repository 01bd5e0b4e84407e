import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

import {
	NODE_UNDER_TEST,
	runWorkflow,
	SOURCE_NODE,
	testCredential,
	type HarnessItem,
	type RunWorkflowOptions,
} from './harness';

const packageDir = join(__dirname, 'harness', 'fixture-package');
const fixtureMailer = 'n8n-nodes-harness-fixture.fixtureMailer';

const payslip = (text: string) => ({
	data: { data: Buffer.from(text), fileName: 'payslip.pdf', mimeType: 'application/pdf' },
});
const employees: HarnessItem[] = [
	{ json: { email: 'ANN@example.com' }, binary: payslip('payslip of Ann') },
	{ json: { email: 'no address' }, binary: payslip('payslip of Bob') },
	{ json: { email: 'cy@example.com' }, binary: payslip('payslip of Cy') },
];

function mailEmployees(overrides: Partial<RunWorkflowOptions> = {}) {
	return runWorkflow({
		packageDir,
		nodeUnderTest: {
			type: fixtureMailer,
			parameters: { recipient: '={{ $json.email.toLowerCase() }}' },
			credentials: { fixtureApi: { host: 'localhost', user: 'payroll' } },
		},
		items: employees,
		...overrides,
	});
}

function filesUnder(folder: string): string[] {
	return readdirSync(folder, { recursive: true, encoding: 'utf8' })
		.map((entry) => join(folder, entry))
		.filter((path) => statSync(path).isFile());
}

describe('engine harness', () => {
	test.each(['default', 'filesystem'] as const)(
		'routes items per output with expressions, credentials and binary data (%s binary mode)',
		async (binaryMode) => {
			const { outputs, error, status } = await mailEmployees({ binaryMode });

			expect(error).toBeUndefined();
			expect(status).toBe('success');
			// Port 25 is the credential type's default: the node sees data as n8n would give it.
			const server = 'payroll@localhost:25';
			expect(outputs).toEqual([
				[
					{
						json: { recipient: 'ann@example.com', server, attachment: 'payslip of Ann' },
						pairedItem: { item: 0 },
					},
					{
						json: { recipient: 'cy@example.com', server, attachment: 'payslip of Cy' },
						pairedItem: { item: 2 },
					},
				],
				[
					{
						json: { recipient: 'no address', server, attachment: 'payslip of Bob' },
						pairedItem: { item: 1 },
					},
				],
			]);
		},
	);

	test('filesystem mode stores binary data on disk under the temporary user folder', async () => {
		const { run } = await mailEmployees({ binaryMode: 'filesystem' });

		const [ann] = run.data.resultData.runData[SOURCE_NODE][0].data!.main[0]!;
		const [mode, fileId] = ann.binary!.data.id!.split(':');
		expect(mode).toBe('filesystem-v2');
		const file = filesUnder(process.env.N8N_USER_FOLDER!).find((path) => path.endsWith(fileId));
		expect(file && readFileSync(file, 'utf8')).toBe('payslip of Ann');
	});

	test('default mode keeps binary data inside the item', async () => {
		const { run } = await mailEmployees({ binaryMode: 'default' });

		const [ann] = run.data.resultData.runData[SOURCE_NODE][0].data!.main[0]!;
		expect(ann.binary!.data.id).toBeUndefined();
		expect(Buffer.from(ann.binary!.data.data, 'base64').toString()).toBe('payslip of Ann');
	});

	test('reports the error the node throws as the execution error', async () => {
		const { outputs, error, status } = await mailEmployees({
			nodeUnderTest: {
				type: fixtureMailer,
				parameters: {},
				credentials: { fixtureApi: { user: 'payroll' } },
			},
		});

		expect(status).toBe('error');
		expect(error?.message).toBe('No host configured');
		expect(outputs).toEqual([[], []]);
	});

	test('aborting the signal cancels the execution and fires the node’s cancel signal', async () => {
		const controller = new AbortController();
		const { outputs, error, status } = await mailEmployees({
			nodeUnderTest: { type: fixtureMailer, parameters: { waitForCancel: true } },
			signal: controller.signal,
			// Aborting a moment after the node starts lets it reach its wait first; had it not
			// yet, it sees an already-aborted signal, which ends the same way.
			onNodeStarted: (nodeName) => {
				if (nodeName === NODE_UNDER_TEST) setTimeout(() => controller.abort(), 20);
			},
		});

		expect(status).toBe('canceled');
		expect(error?.name).toMatch(/Cancelled/);
		expect(outputs[1]).toEqual(
			employees.map((_, item) => ({ json: { cancelled: true }, pairedItem: { item } })),
		);
	});

	test('runs a credential test the way n8n’s credential "Test" button does', async () => {
		await expect(
			testCredential({ packageDir, credentialType: 'fixtureApi', data: { host: 'localhost' } }),
		).resolves.toEqual({ status: 'OK', message: 'Reached localhost:25' });
		await expect(
			testCredential({ packageDir, credentialType: 'fixtureApi', data: { host: 'smtp.invalid' } }),
		).resolves.toEqual({ status: 'Error', message: 'Cannot reach smtp.invalid' });
	});
});
