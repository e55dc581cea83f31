declare module 'asl-validator' {
  export default function validator(definition: unknown, opts?: { checkPaths?: boolean; checkArn?: boolean }): { isValid: boolean; errors: unknown[]; errorsText(separator?: string): string };
}
