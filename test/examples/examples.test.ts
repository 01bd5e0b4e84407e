import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { INodeProperties } from 'n8n-workflow';

import { PayrollSmtpApi } from '../../credentials/PayrollSmtpApi.credentials';
import { PayrollSmtpOAuth2Api } from '../../credentials/PayrollSmtpOAuth2Api.credentials';
import { payrollMailProperties } from '../../nodes/PayrollMail/PayrollMail.description';
import { payrollMailBouncesProperties } from '../../nodes/PayrollMailBounces/PayrollMailBounces.description';

const EXAMPLES_DIR = join(__dirname, '..', '..', 'examples');
const PAYROLL_MAIL = 'n8n-nodes-payroll-mail.payrollMail';
const EXPECTED = ['monthly-payslips.json', 'webhook-payslips.json'];
const BOUNCES_EXAMPLE = 'payslip-bounces.json';
const PAYROLL_MAIL_BOUNCES = 'n8n-nodes-payroll-mail.payrollMailBounces';

interface WorkflowNode {
	id: string;
	name: string;
	type: string;
	typeVersion: number;
	position: [number, number];
	parameters: Record<string, unknown>;
	credentials?: Record<string, { id: string; name: string }>;
}

interface Connection {
	node: string;
	type: string;
	index: number;
}

interface WorkflowFile {
	name: string;
	nodes: WorkflowNode[];
	connections: Record<string, Record<string, Connection[][]>>;
	settings: Record<string, unknown>;
	pinData: Record<string, unknown>;
}

/** Parameter names a saved Payroll Mail node may hold: the top level and each collection's options. */
function knownNames(properties: INodeProperties[]): { topLevel: Set<string>; inside: Map<string, Set<string>> } {
	const inside = new Map<string, Set<string>>();
	for (const property of properties) {
		if (property.type === 'collection' || property.type === 'fixedCollection') {
			const names = (property.options ?? []).map((option) => ('name' in option ? String(option.name) : ''));
			inside.set(property.name, new Set(names));
		}
	}
	return { topLevel: new Set(properties.map((property) => property.name)), inside };
}

/** Every label the editor shows for Payroll Mail and its credentials: parameter, option and choice names. */
function editorLabels(properties: INodeProperties[]): string[] {
	return properties.flatMap((property) => [
		property.displayName,
		...(property.options ?? []).flatMap((option) =>
			'displayName' in option && 'type' in option ? editorLabels([option as INodeProperties]) : 'name' in option ? [String(option.name)] : [],
		),
	]);
}

/**
 * Words of n8n's own editor that the notes use, and the credential names: checked by hand in
 * n8n 1.x and 2.x (the credential dialog saves and tests with Save; the node panel's outputs).
 */
const N8N_WORDS = ['Credential', 'Save', 'Sent', 'Failed', 'Payroll Mail SMTP', 'Header Auth', 'Delimiter', 'Test'];

function load(file: string): WorkflowFile {
	return JSON.parse(readFileSync(join(EXAMPLES_DIR, file), 'utf8')) as WorkflowFile;
}

it('examples/ holds both workflows a clerk imports', () => {
	const files = readdirSync(EXAMPLES_DIR).filter((file) => file.endsWith('.json'));
	expect(files).toEqual(expect.arrayContaining([...EXPECTED, BOUNCES_EXAMPLE]));
});

describe(BOUNCES_EXAMPLE, () => {
	const workflow = load(BOUNCES_EXAMPLE);
	const byName = new Map(workflow.nodes.map((node) => [node.name, node]));
	const bounces = workflow.nodes.filter((node) => node.type === PAYROLL_MAIL_BOUNCES);
	const trigger = workflow.nodes.find((node) => node.type === 'n8n-nodes-base.emailReadImap');
	const targets = (source: string, output: number) => (workflow.connections[source]?.main?.[output] ?? []).map((connection) => connection.node);

	it('is an n8n workflow export of built-in nodes and one Payroll Mail Bounces, every connection between nodes that exist', () => {
		expect(workflow.pinData).toEqual({});
		expect(typeof workflow.settings).toBe('object');
		expect(new Set(workflow.nodes.map((node) => node.id)).size).toBe(workflow.nodes.length);
		expect(byName.size).toBe(workflow.nodes.length);
		for (const node of workflow.nodes) expect(node.type === PAYROLL_MAIL_BOUNCES || /^n8n-nodes-base\.[a-zA-Z]+$/.test(node.type)).toBe(true);
		expect(bounces).toHaveLength(1);
		for (const [source, byType] of Object.entries(workflow.connections)) {
			expect(byName.has(source)).toBe(true);
			for (const connection of Object.values(byType).flat(2)) expect([source, connection.node, byName.has(connection.node)]).toEqual([source, connection.node, true]);
		}
	});

	it('reads the payroll mailbox with the Email Trigger in the Resolved format, which keeps the report, into Payroll Mail Bounces', () => {
		expect(trigger?.parameters.format).toBe('resolved');
		expect(Object.keys(trigger?.credentials ?? {})).toEqual(['imap']);
		expect(targets(trigger!.name, 0)).toEqual([bounces[0].name]);
	});

	it('sets only parameters Payroll Mail Bounces has, and leads Bounced to the list of employees to call and Other away', () => {
		const known = new Set(payrollMailBouncesProperties.map((property) => property.name));
		expect(Object.keys(bounces[0].parameters).filter((name) => !known.has(name))).toEqual([]);
		expect(bounces[0].typeVersion).toBe(1);
		const [employee] = targets(bounces[0].name, 0);
		expect(targets(employee, 0)).toEqual(['List of Employees to Call']);
		expect(byName.get('List of Employees to Call')?.type).toBe('n8n-nodes-base.aggregate');
		expect(targets(bounces[0].name, 1)).toEqual(['Not a Bounce']);
		// The list's fields come from what Payroll Mail Bounces puts on each item.
		const fields = JSON.stringify(byName.get(employee)?.parameters);
		for (const field of ['recipient', 'action', 'status', 'diagnostic', 'subject', 'execution', 'idempotencyKey']) expect(fields).toContain(`$json.${field}`);
	});

	it('has a note that says what to change, naming only what the editor shows', () => {
		const [note] = workflow.nodes.filter((node) => node.type === 'n8n-nodes-base.stickyNote');
		const content = String(note.parameters.content);
		expect(content).toMatch(/what to change/i);
		const labels = new Set([
			...workflow.nodes.map((node) => node.name),
			...editorLabels(payrollMailBouncesProperties),
			...editorLabels(payrollMailProperties),
			...['Credential', 'IMAP', 'Format', 'Resolved', 'Postgres', 'Other', 'Payroll Mail'],
		]);
		const named = [...content.matchAll(/\*\*([^*]+)\*\*/g)].flatMap((match) => match[1].split(' → '));
		expect(named.filter((name) => !labels.has(name))).toEqual([]);
	});
});

describe.each(EXPECTED)('%s', (file) => {
	const workflow = load(file);
	const byName = new Map(workflow.nodes.map((node) => [node.name, node]));
	const payrollMail = workflow.nodes.filter((node) => node.type === PAYROLL_MAIL);

	it('is an n8n workflow export: name, nodes, connections, settings, pinData', () => {
		expect(typeof workflow.name).toBe('string');
		expect(Array.isArray(workflow.nodes)).toBe(true);
		expect(typeof workflow.connections).toBe('object');
		expect(typeof workflow.settings).toBe('object');
		expect(workflow.pinData).toEqual({});
		expect(byName.size).toBe(workflow.nodes.length);
		expect(new Set(workflow.nodes.map((node) => node.id)).size).toBe(workflow.nodes.length);
		for (const node of workflow.nodes) {
			expect(typeof node.typeVersion).toBe('number');
			expect(node.position).toEqual([expect.any(Number), expect.any(Number)]);
		}
	});

	it('uses only n8n built-in nodes and Payroll Mail', () => {
		for (const node of workflow.nodes) {
			expect(node.type === PAYROLL_MAIL || /^n8n-nodes-base\.[a-zA-Z]+$/.test(node.type)).toBe(true);
		}
	});

	it('has one Payroll Mail node whose parameters all exist in the node, with the payrollSmtpApi credential', () => {
		expect(payrollMail).toHaveLength(1);
		const [node] = payrollMail;
		const { topLevel, inside } = knownNames(payrollMailProperties);
		for (const [name, value] of Object.entries(node.parameters)) {
			expect({ parameter: name, known: topLevel.has(name) }).toEqual({ parameter: name, known: true });
			const options = inside.get(name);
			if (options && value && typeof value === 'object') {
				for (const option of Object.keys(value)) {
					expect({ option: `${name}.${option}`, known: options.has(option) }).toEqual({ option: `${name}.${option}`, known: true });
				}
			}
		}
		// Required fields shown whatever else is chosen (From Email, To Email) must be filled in.
		const alwaysRequired = payrollMailProperties.filter((property) => property.required && !property.displayOptions);
		expect(alwaysRequired.length).toBeGreaterThan(0);
		for (const required of alwaysRequired) {
			expect(node.parameters[required.name]).toEqual(expect.any(String));
		}
		expect(Object.keys(node.credentials ?? {})).toEqual(['payrollSmtpApi']);
		// The newest version, and imported in Dry Run: nothing goes out until the clerk chooses Send.
		expect(node.typeVersion).toBe(1.1);
		expect(node.parameters.sendMode).toBe('dryRun');
		expect(node.credentials?.payrollSmtpApi.name).toEqual(expect.any(String));
	});

	it('its note names only what the editor shows: node names, Payroll Mail\'s labels and choices, n8n\'s own words', () => {
		const labels = new Set([
			...workflow.nodes.map((node) => node.name),
			...editorLabels(payrollMailProperties),
			...editorLabels(new PayrollSmtpApi().properties),
			...editorLabels(new PayrollSmtpOAuth2Api().properties),
			...N8N_WORDS,
		]);
		const notes = workflow.nodes.filter((node) => node.type === 'n8n-nodes-base.stickyNote').map((node) => String(node.parameters.content));
		expect(notes.length).toBeGreaterThan(0);
		// Bold words are what the clerk looks for on screen; "A → B" is a path through the panel.
		const named = notes.flatMap((note) => [...note.matchAll(/\*\*([^*]+)\*\*/g)].flatMap((match) => match[1].split(' → ')));
		const unknown = named.filter((name) => !labels.has(name) && !/^(It sends nothing yet|Try it first)$/.test(name));
		expect(unknown).toEqual([]);
		expect(notes.join('\n')).not.toMatch(/press \*\*Test\*\*/);
	});

	it('connects only nodes that exist, and both outputs of Payroll Mail: Sent (0) and Failed (1)', () => {
		for (const [source, byType] of Object.entries(workflow.connections)) {
			expect(byName.has(source)).toBe(true);
			for (const outputs of Object.values(byType)) {
				for (const connection of outputs.flat()) {
					expect({ from: source, to: connection.node, exists: byName.has(connection.node) }).toEqual({
						from: source,
						to: connection.node,
						exists: true,
					});
					expect(connection.type).toBe('main');
				}
			}
		}
		const outputs = workflow.connections[payrollMail[0].name]?.main ?? [];
		expect(outputs[0]?.length).toBeGreaterThan(0);
		expect(outputs[1]?.length).toBeGreaterThan(0);
	});

	it('has a sticky note that says what to change', () => {
		const notes = workflow.nodes.filter((node) => node.type === 'n8n-nodes-base.stickyNote');
		expect(notes.length).toBeGreaterThan(0);
		expect(String(notes[0].parameters.content)).toMatch(/what to change/i);
		expect(String(notes[0].parameters.content)).toMatch(/Payroll Mail SMTP/);
	});
});
