import { afterAll, beforeAll, it, onTestFinished } from 'vitest';
beforeAll(() => { afterAll(() => console.log('AFTERALL-FROM-BEFOREALL ran')); });
it('x', () => { afterAll(() => console.log('AFTERALL-FROM-TEST ran')); onTestFinished(() => console.log('ONTESTFINISHED ran')); });
