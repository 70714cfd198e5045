import { describe, expect, it } from 'vitest';
import { asmPathOf, caffemodelForPrototxt, modelKind, modelName, prototxtForCaffemodel } from './models';

describe('model files', () => {
  it('knows the kinds it compiles', () => {
    expect(['a.onnx', 'b.PROTOTXT', 'c.caffemodel', 'd.dnnasm'].map(modelKind)).toEqual(['onnx', 'prototxt', 'caffemodel', undefined]);
  });
  it('puts the assembly beside the model, named after it', () => {
    expect(modelName('/w/mnist.onnx')).toBe('mnist');
    expect(asmPathOf('/w/nets/lenet.prototxt')).toBe('/w/nets/lenet.dnnasm');
  });
});

describe('a .caffemodel’s network', () => {
  const at = (f: string) => `/w/${f}`;
  it('takes the same name first', () => {
    expect(prototxtForCaffemodel(at('googlenet.caffemodel'), ['deploy.prototxt', 'googlenet.prototxt', 'googlenet.caffemodel'])).toBe(at('googlenet.prototxt'));
  });
  it('drops a training snapshot suffix', () => {
    expect(prototxtForCaffemodel(at('lenet_iter_10000.caffemodel'), ['lenet.prototxt', 'lenet_solver.prototxt', 'other.prototxt'])).toBe(at('lenet.prototxt'));
  });
  it('falls back to deploy.prototxt, then to the folder’s only network (solvers and targets are not networks)', () => {
    expect(prototxtForCaffemodel(at('w.caffemodel'), ['a.prototxt', 'deploy.prototxt'])).toBe(at('deploy.prototxt'));
    expect(prototxtForCaffemodel(at('w.caffemodel'), ['net.prototxt', 'solver.prototxt', 'arch.prototxt'])).toBe(at('net.prototxt'));
  });
  it('does not guess between several networks (the user is asked)', () => {
    expect(prototxtForCaffemodel(at('w.caffemodel'), ['a.prototxt', 'b.prototxt'])).toBeUndefined();
    expect(prototxtForCaffemodel(at('w.caffemodel'), [])).toBeUndefined();
  });
  it('finds the weights of a network by name or snapshot', () => {
    expect(caffemodelForPrototxt(at('lenet.prototxt'), ['lenet_iter_10000.caffemodel'])).toBe(at('lenet_iter_10000.caffemodel'));
    expect(caffemodelForPrototxt(at('vgg_deploy.prototxt'), ['vgg.caffemodel'])).toBe(at('vgg.caffemodel'));
    expect(caffemodelForPrototxt(at('lenet.prototxt'), ['other.caffemodel'])).toBeUndefined();
  });
});
