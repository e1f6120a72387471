from setuptools import find_packages, setup


def read_requirements(path):
    with open(path) as f:
        return [
            line.strip() for line in f
            if line.strip() and not line.startswith('#')
        ]


version = {}
with open('mmcrack/version.py') as f:
    exec(f.read(), version)

setup(
    name='mmcrack',
    version=version['__version__'],
    description='Crack-segmentation models, datasets and metrics for '
    'MMSegmentation',
    long_description=open('README.md').read(),
    long_description_content_type='text/markdown',
    packages=find_packages(exclude=('configs', 'tools', 'tests')),
    python_requires='>=3.11,<3.12',
    # mmcv is not required here: mmcv-lite (the default) and mmcv with ops
    # own the same folder, and an environment that already has one must not
    # get the other. tools/setup_env.sh picks one (MMCRACK_MMCV); by hand:
    # `pip install -e .[lite]`, or `.[full]` where its ops are wanted.
    install_requires=[
        'torch==2.13.0', *read_requirements('requirements/runtime.txt')
    ],
    extras_require=dict(
        tests=read_requirements('requirements/tests.txt'),
        lite=read_requirements('requirements/mmcv-lite.txt'),
        full=read_requirements('requirements/mmcv-full.txt')),
    package_data=dict(mmcrack=['weights/*.pth']),
    license='Apache License 2.0',
)
