import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';

/** The environment files MLflow writes beside a model, named as its `python_function.env` entry names them. */
export const CONDA_FILE = 'conda.yaml';
export const PYTHON_ENV_FILE = 'python_env.yaml';
export const REQUIREMENTS_FILE = 'requirements.txt';

/** `python_function.env` as MLflow writes it. */
export const PYFUNC_ENV = { conda: CONDA_FILE, virtualenv: PYTHON_ENV_FILE } as const;

const yaml = (v: unknown) => stringify(v, { version: '1.1', indentSeq: false, singleQuote: true });

/**
 * Writes requirements.txt, conda.yaml and python_env.yaml so MLflow can serve a model Cairn
 * wrote (`mlflow models serve` builds a virtualenv from python_env.yaml by default). Cairn does
 * not know the Python version of the reader, so it writes `pythonVersion` (default 3.10) and
 * leaves the requirements unpinned unless given pins.
 */
export async function writePythonEnv(
  dir: string,
  requirements: readonly string[],
  pythonVersion = '3.10',
): Promise<void> {
  await writeFile(join(dir, REQUIREMENTS_FILE), requirements.join('\n'));
  await writeFile(
    join(dir, CONDA_FILE),
    yaml({
      channels: ['conda-forge'],
      dependencies: [`python=${pythonVersion}`, 'pip', { pip: [...requirements] }],
      name: 'mlflow-env',
    }),
  );
  await writeFile(
    join(dir, PYTHON_ENV_FILE),
    yaml({ python: pythonVersion, build_dependencies: ['pip'], dependencies: [`-r ${REQUIREMENTS_FILE}`] }),
  );
}
